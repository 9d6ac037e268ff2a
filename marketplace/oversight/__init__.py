"""Oversight area: the balance dashboard, its exports and the public transparency page."""
