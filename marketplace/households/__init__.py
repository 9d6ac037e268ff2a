"""Household registry: families, their members and their assistance categories."""
