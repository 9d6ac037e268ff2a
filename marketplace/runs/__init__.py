"""Matching runs: the optimiser over the site's open need lines and offers (issue 6)."""
