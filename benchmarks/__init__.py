"""Benchmarks for the `matching` engine.

- `benchmarks.gap`: OR-Library / Yagiura generalized assignment instances turned into
  matching problems, with best-known values.
- `benchmarks.synthetic`: a deterministic generator of Hunan-like matching problems.
- `benchmarks.run`: the runner behind `python -m matching bench`.

This package may import ortools (for LP bounds) but never flask, sqlalchemy or marketplace.
"""
