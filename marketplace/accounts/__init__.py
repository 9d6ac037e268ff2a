"""Accounts: users with roles and scope, organisations, login."""
