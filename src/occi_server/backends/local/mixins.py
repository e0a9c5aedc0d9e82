"""User-defined mixins (tags, security groups): per project, with their memberships."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from occi_server.backends.local import store, user_mixins
from occi_server.backends.local.scope import Scope
from occi_server.errors import BadRequest, Conflict, NotFound
from occi_server.model import Mixin


def list_user_mixins(scope: Scope) -> list[Mixin]:
    return user_mixins.of_project(scope)


def create_user_mixin(scope: Scope, mixin: Mixin, provider: Sequence[Mixin]) -> None:
    """Store a user mixin; 409 when its id or location is used by one the project sees."""
    if not mixin.location:
        raise BadRequest(f"mixin {mixin.type_id} needs a location")
    for other in [*provider, *user_mixins.of_project(scope)]:
        if other.type_id == mixin.type_id:
            raise Conflict(f"category {mixin.type_id} already exists")
        if other.location == mixin.location:
            raise Conflict(f"location {mixin.location} is already used by {other.type_id}")
    user_mixins.add(scope, mixin)


def delete_user_mixin(scope: Scope, mixin: Mixin) -> None:
    """Delete the mixin; its members survive, without it (their versions move on)."""
    if not user_mixins.remove(scope, mixin):
        raise NotFound(f"no user mixin {mixin.type_id}")
    members = store.carrying(scope, mixin.type_id)
    store.strip_mixin(scope, mixin.type_id)
    store.bump_pks(scope, [member.pk for member in members])


def check_owned(scope: Scope, mixins: Iterable[Mixin]) -> None:
    """A user mixin can only be applied by the project that defined it."""
    wanted = {(m.scheme, m.term) for m in mixins if m.user_defined}
    if not wanted:
        return
    missing = wanted - user_mixins.names(scope)
    if missing:
        scheme, term = sorted(missing)[0]
        raise BadRequest(f"unknown mixin {scheme}{term}")
