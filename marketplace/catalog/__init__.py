"""Shared vocabularies: kinds of help, purpose categories, groups, qualifications, and the
catalogues of goods items and service types (data, editable in the app)."""
