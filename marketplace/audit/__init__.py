"""Append-only audit trail of state changes and reads of full personal data, hash-chained at
commit (see :mod:`marketplace.audit.services`)."""

from marketplace.audit.services import install_chain_listener

install_chain_listener()
