"""Append-only audit trail of state changes and reads of full personal data."""
