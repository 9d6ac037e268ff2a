"""Hooks through which each area adds itself to the navigation bar and the dashboards.

An area's ``views`` module (imported when its blueprint is registered) calls
:func:`register_nav` and decorates a function with :func:`dashboard_section`; the base layout
and the dashboard page then show them to the roles they name. No area imports another's views.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import g
from flask_login import current_user

from marketplace.common.access import user_prefix
from marketplace.common.cache import AreaFigures

T = TypeVar("T")


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


#: Officers' cards summarise their whole area; the figures are shared by every officer of the
#: area and kept for a few seconds (an oversight dashboard read by many officers at once, or
#: reloaded while a matching run loads the database, must not rebuild them on every request).
AREA_FIGURES = AreaFigures(ttl=10.0)


def area_figures(card: str, user: Any, build: Callable[[], T]) -> T:
    """``build()``, the figures of ``card`` for ``user``'s area, shared by every user with the
    same role and area for up to ``AREA_FIGURES.ttl`` seconds. ``build`` must return plain data.
    The time the oldest figures on the page were built is kept in ``g.figures_as_of``."""
    value, built_at = AREA_FIGURES.get((card, str(user.role), user_prefix(user)), build)
    as_of = datetime.fromtimestamp(built_at, UTC)
    if getattr(g, "figures_as_of", None) is None or as_of < g.figures_as_of:
        g.figures_as_of = as_of
    return value
