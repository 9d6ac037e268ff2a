"""Economic assessment (家庭经济状况核对), local standards and the eligibility decision."""
