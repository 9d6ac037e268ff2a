"""The one access-control mechanism every view uses.

A view declares who may call it and which objects it may touch, in one line::

    @bp.get("/organizations/<int:org_id>")
    @access(Role.oversight, Role.admin, load={"org_id": Organization})
    def view_organization(org): ...

* Anonymous users are sent to the login page; users of another role get 403.
* ``load`` fetches each object by its URL id and hands it to the view (``org_id`` → ``org``).
  An object outside the user's scope answers 404, exactly like a missing one, so ids cannot be
  probed.
* Scope: admins see everything; government roles (caseworker, reviewer, oversight) see the
  subtree of their home region; provider staff see their own organisation.

Models opt in by naming the attribute that carries their region code (``__scope_region__``)
and/or their organisation id (``__scope_organization__``). List pages filter with
:func:`scope_filter`, so the same rule holds for lists and single objects. A model whose pages
always show some of its collections names them in ``__access_joined__``: ``load`` then brings
them in the same query as the object.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user
from sqlalchemy import ColumnElement, Select, bindparam, false, inspect, select, true
from sqlalchemy.orm import joinedload

from marketplace.accounts.models import Role, User
from marketplace.extensions import db, login_manager
from marketplace.regions.models import scope_prefix, subtree_condition

PUBLIC = "public"


def user_prefix(user: User) -> str | None:
    """The region-code prefix a government user may see, or None for other roles."""
    if user.is_government and user.region_code:
        return scope_prefix(user.region_code)
    return None


def in_scope(user: User, obj: Any) -> bool:
    """Whether ``user`` may see ``obj`` under the scope rules above."""
    if user.role == Role.admin:
        return True
    cls = type(obj)
    if user.is_government:
        attr = getattr(cls, "__scope_region__", None)
        code = getattr(obj, attr, None) if attr else None
        prefix = user_prefix(user)
        return bool(code and prefix and code.startswith(prefix))
    if user.role == Role.provider_staff:
        attr = getattr(cls, "__scope_organization__", None)
        org_id = getattr(obj, attr, None) if attr else None
        return org_id is not None and org_id == user.organization_id
    return False


def scope_filter(model: type, user: User) -> ColumnElement[bool]:
    """A WHERE clause limiting ``model`` rows to what ``user`` may see."""
    if user.role == Role.admin:
        return true()
    if user.is_government:
        attr = getattr(model, "__scope_region__", None)
        prefix = user_prefix(user)
        if not attr or not prefix:
            return false()
        return subtree_condition(getattr(model, attr), prefix)
    if user.role == Role.provider_staff:
        attr = getattr(model, "__scope_organization__", None)
        if not attr or user.organization_id is None:
            return false()
        return getattr(model, attr) == user.organization_id
    return false()


_LOADERS: dict[type, Select] = {}


def load_by_id(model: type, ident: Any) -> Any:
    """One object by primary key, with the collections the model names in
    ``__access_joined__``, in one query. The statement is built once per model: the per-request
    cost of building a fresh one (cache key and all) was a fifth of a simple ORM query."""
    stmt = _LOADERS.get(model)
    if stmt is None:
        (key,) = inspect(model).primary_key
        stmt = select(model).where(key == bindparam("ident")).options(
            *(joinedload(getattr(model, name)) for name in getattr(model, "__access_joined__", ())))
        _LOADERS[model] = stmt
    return db.session.execute(stmt, {"ident": ident}).unique().scalar_one_or_none()


def access(
    *roles: Role | str, load: dict[str, type] | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the roles allowed on a view (or ``PUBLIC``) and the scoped objects it loads."""
    public = PUBLIC in roles
    allowed = frozenset(Role(r) for r in roles if r != PUBLIC)
    if not public and not allowed:
        raise ValueError("access() needs at least one role, or PUBLIC")
    loads = dict(load or {})

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(**kwargs: Any) -> Any:
            if not public:
                if not current_user.is_authenticated:
                    return login_manager.unauthorized()
                if current_user.role not in allowed:
                    abort(403)
            for arg, model in loads.items():
                obj = load_by_id(model, kwargs.pop(arg))
                if obj is None or (not public and not in_scope(current_user, obj)):
                    abort(404)
                kwargs[arg.removesuffix("_id")] = obj
            return view(**kwargs)

        wrapped.access_roles = allowed  # type: ignore[attr-defined]
        wrapped.access_public = public  # type: ignore[attr-defined]
        return wrapped

    return decorator


def roles_of(view: Callable[..., Any]) -> Iterable[Role] | None:
    """The roles a view declared, or None when it declared nothing (a bug: see the tests)."""
    return getattr(view, "access_roles", None)
