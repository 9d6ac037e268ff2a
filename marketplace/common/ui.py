"""Hooks through which each area adds itself to the navigation bar and the dashboards.

An area's ``views`` module (imported when its blueprint is registered) calls
:func:`register_nav` and decorates a function with :func:`dashboard_section`; the base layout
and the dashboard page then show them to the roles they name. No area imports another's views.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_login import current_user


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Any  # a lazy_gettext string
    roles: frozenset[str]
    order: int = 50
    public: bool = False


@dataclass
class Section:
    """One card on a dashboard: ``template`` is rendered with ``data`` as its context."""

    template: str
    data: dict[str, Any] = field(default_factory=dict)
    order: int = 50


_NAV: list[NavItem] = []
_SECTIONS: list[Callable[[Any], Section | None]] = []


def register_nav(endpoint: str, label: Any, roles: tuple[str, ...] = (), order: int = 50,
                 public: bool = False) -> None:
    """Show a link to ``endpoint`` for ``roles`` (or everyone signed out when ``public``)."""
    if any(item.endpoint == endpoint for item in _NAV):
        return
    _NAV.append(NavItem(endpoint, label, frozenset(str(r) for r in roles), order, public))
    _NAV.sort(key=lambda item: item.order)


def nav_items() -> list[NavItem]:
    """The links the current user may follow."""
    if current_user.is_authenticated:
        role = current_user.role
        return [item for item in _NAV if role in item.roles]
    return [item for item in _NAV if item.public]


def dashboard_section(fn: Callable[[Any], Section | None]) -> Callable[[Any], Section | None]:
    """Register ``fn(user) -> Section | None`` as a dashboard card provider."""
    if fn not in _SECTIONS:
        _SECTIONS.append(fn)
    return fn


def dashboard_sections(user: Any) -> list[Section]:
    sections = [section for fn in _SECTIONS if (section := fn(user)) is not None]
    return sorted(sections, key=lambda s: s.order)
