"""Home page, per-role dashboards and the language switch."""
