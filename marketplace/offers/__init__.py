"""Offers area."""
