"""Actions on one entity or on every member of a collection."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from occi_server.backends.base import ActionOutcome, EntityQuery
from occi_server.categories import appliances
from occi_server.errors import BadRequest, Forbidden, NotImplementedByServer, PayloadTooLarge
from occi_server.model import Action, Entity, Kind, Mixin
from occi_server.model.request import OcciRequest
from occi_server.service import validation
from occi_server.service.entities import Operation

ACTION_TERM_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")
# An action whose work is more than the backend's (an OVF export job): (op, location, type id).
Hook = Callable[[Operation, str, str], ActionOutcome]
# Actions that only work through their hook.
HOOKED = frozenset(a.type_id for a in appliances.CATEGORIES)


def invoke(
    op: Operation,
    location: str,
    term: str,
    request: OcciRequest,
    hooks: Mapping[str, Hook] | None = None,
) -> ActionOutcome:
    entity = op.cloud.get_entity(location)
    action = _resolve(op, entity, term, request)
    hook = (hooks or {}).get(action.type_id)
    if hook is not None:
        return hook(op, location, action.type_id)
    if action.type_id in HOOKED:
        raise NotImplementedByServer(f"action {action.term} is not available on this server")
    return op.cloud.invoke_action(location, action.type_id, _parameters(action, request))


def invoke_on_collection(
    op: Operation,
    collection: Kind | Mixin,
    term: str,
    request: OcciRequest,
    query: EntityQuery,
    most: int | None = None,
) -> int:
    """Run the action on every member; the session's transaction makes it all or nothing.
    More than `most` members is a 413 (the query asks for one more than that)."""
    members = op.cloud.list_entities(query)
    if most is not None and len(members) > most:
        raise PayloadTooLarge(
            f"?action={term[:40]} on {collection.location}: more than {most} members "
            "(limits.max_action_members); act on a filtered collection or on each entity"
        )
    count = 0
    for entity in members:
        action = _resolve(op, entity, term, request, collection=collection)
        try:
            op.cloud.invoke_action(entity.location, action.type_id, _parameters(action, request))
        except Forbidden:
            continue  # a provider resource (the shared public network): not the caller's
        count += 1
    return count


def _resolve(
    op: Operation,
    entity: Entity,
    term: str,
    request: OcciRequest,
    collection: Kind | Mixin | None = None,
) -> Action:
    if not term or not set(term) <= ACTION_TERM_CHARS:
        raise BadRequest(f"action {term[:40]!r}: not a valid action term")
    refs = [c for c in request.categories if c.category_class in (None, "action")]
    if len(request.categories) > 1 or len(refs) != len(request.categories):
        raise BadRequest("Category: an action request carries exactly one action category")
    kind = op.registry.kind(entity.kind)
    mixins = [m for t in entity.mixins if (m := op.registry.mixin(t)) is not None]
    defined = op.registry.actions_of(kind, mixins) if kind else []
    if refs:
        ref = refs[0]
        if ref.term != term:
            raise BadRequest(f"Category {ref.type_id}: does not match ?action={term}")
        action = op.registry.action(ref.type_id)
        if action is None:
            raise BadRequest(f"Category {ref.type_id}: unknown action")
    else:
        # The OGF 1.1 script triggers actions by query alone; pick the entity's one by term.
        matches = [a for a in defined if a.endswith("#" + term)]
        if len(matches) != 1:
            raise BadRequest(f"action {term}: name the action with a Category")
        found = op.registry.action(matches[0])
        if found is None:
            raise BadRequest(f"action {term}: unknown action")
        action = found
    if action.type_id not in defined:
        raise BadRequest(f"action {action.type_id}: is not defined for {entity.location}")
    if collection is not None and action.type_id not in _collection_actions(op, collection):
        raise BadRequest(f"action {action.type_id}: is not defined for this collection")
    return action


def _collection_actions(op: Operation, collection: Kind | Mixin) -> list[str]:
    if isinstance(collection, Kind):
        return op.registry.actions_of(collection)
    return list(collection.actions) or [
        a for k in op.registry.kinds() for a in op.registry.actions_of(k)
    ]


def _parameters(action: Action, request: OcciRequest) -> dict[str, Any]:
    definitions = {a.name: a for a in action.attributes}
    values = validation.coerce_attributes(definitions, request.attributes, creating=True)
    return validation.apply_defaults(definitions, values)
