"""Shared web parts used by every area: base model, access control, errors, paging, security."""
