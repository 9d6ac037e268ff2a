"""Contracts area."""
