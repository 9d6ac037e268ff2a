"""Allocations area."""
