"""What each method does on each kind of target: the route table and its handlers.

`ROUTES[target][method]` is the one place that says which methods a target allows (a 405
lists them) and which function answers; http/handler.py looks the handler up there once the
path is resolved. Every handler receives one `Call` and returns an HttpResponse.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from occi_server.backends.base import Accepted
from occi_server.config import LimitsConfig
from occi_server.http.caching import CatalogueCache
from occi_server.http.messages import HttpRequest, HttpResponse
from occi_server.http.routing import Route, Target
from occi_server.model import Category, Entity, Kind, Mixin
from occi_server.model.request import OcciRequest
from occi_server.registry import Catalogue
from occi_server.rendering.base import Rendered, Renderer
from occi_server.service import actions, collections, entities, query
from occi_server.service.entities import IfMatch, Operation


@dataclass(frozen=True, slots=True)
class Shared:
    """What handlers need beyond the request: limits, the static catalogue, the caches."""

    limits: LimitsConfig
    catalogue: Catalogue
    cache: CatalogueCache
    # Actions whose work is a job of the server's own (the OVF export): type id -> hook.
    hooks: Mapping[str, actions.Hook] = field(default_factory=dict)


class Call(NamedTuple):
    """One dispatched request: what every handler works with."""

    op: Operation
    route: Route
    request: HttpRequest
    occi: OcciRequest  # parsed before the transaction opened
    renderer: Renderer
    expected: IfMatch  # If-Match, parsed once
    shared: Shared


Handler = Callable[[Call], HttpResponse]


# -- the query interface ------------------------------------------------------------------------
def discover(call: Call) -> HttpResponse:
    op, renderer = call.op, call.renderer
    if call.occi.categories:
        found: Sequence[Category] = query.discover(op.registry, call.occi)
        return HttpResponse(200, renderer.categories(found))
    # Never keyed by Host: the rendering holds paths only, under the one configured base path
    # (http/hosts.py), so one entry per project, catalogue version and media type.
    key = (*op.catalogue_key, renderer.media_type)
    rendered, etag = call.shared.cache.query_interface(
        key, lambda: renderer.categories(op.registry.categories())
    )
    if etag in (call.request.header("if-none-match") or "").replace(" ", "").split(","):
        return HttpResponse(304, Rendered(rendered.content_type), [("ETag", etag)])
    return HttpResponse(200, rendered, [("ETag", etag)])


def add_user_mixins(call: Call) -> HttpResponse:
    query.add_user_mixins(call.op, call.occi)
    return HttpResponse(200, call.renderer.ok())


def delete_user_mixins(call: Call) -> HttpResponse:
    query.delete_user_mixins(call.op, call.occi)
    return HttpResponse(200, call.renderer.ok())


# -- collections --------------------------------------------------------------------------------
def list_root(call: Call) -> HttpResponse:
    return _listing(call, None)


def create_at_root(call: Call) -> HttpResponse:
    # The OGF 1.1 script creates entities by POSTing to the root; the kind decides.
    return _created(call, entities.create(call.op, call.occi))


def list_unbound(call: Call) -> HttpResponse:
    return _listing(call, None, prefix=call.route.path)


def delete_unbound(call: Call) -> HttpResponse:
    q = collections.build_query(
        call.op,
        None,
        call.occi,
        call.request.params,
        call.shared.limits.max_page_size,
        prefix=call.route.path,
    )
    collections.delete_all(call.op, q)
    return HttpResponse(200, call.renderer.ok())


def list_collection(call: Call) -> HttpResponse:
    return _listing(call, call.route.collection)


def post_to_kind(call: Call) -> HttpResponse:
    term = call.request.params.get("action")
    if term is not None:
        return _collection_action(call, term)
    kind = call.route.collection
    assert isinstance(kind, Kind)
    return _created(call, entities.create(call.op, call.occi, kind))


def delete_kind_members(call: Call) -> HttpResponse:
    q = collections.build_query(
        call.op,
        call.route.collection,
        call.occi,
        call.request.params,
        call.shared.limits.max_page_size,
    )
    collections.delete_all(call.op, q)
    return HttpResponse(200, call.renderer.ok())


def post_to_mixin(call: Call) -> HttpResponse:
    term = call.request.params.get("action")
    if term is not None:
        return _collection_action(call, term)
    mixin = _mixin(call)
    collections.associate(call.op, mixin, collections.members(call.op, call.occi))
    return _members(call, mixin)


def replace_mixin_members(call: Call) -> HttpResponse:
    mixin = _mixin(call)
    collections.replace_members(call.op, mixin, collections.members(call.op, call.occi))
    return _members(call, mixin)


def remove_mixin_members(call: Call) -> HttpResponse:
    op, mixin = call.op, _mixin(call)
    paths = collections.members(op, call.occi)
    if not paths:
        # DELETE without a list: every member loses the mixin; the entities stay.
        everyone = collections.build_query(
            op, mixin, OcciRequest(), {}, call.shared.limits.max_page_size
        )
        paths = op.cloud.list_locations(everyone)
    collections.dissociate(op, mixin, paths)
    return _members(call, mixin)


# -- one entity ---------------------------------------------------------------------------------
def read_entity(call: Call) -> HttpResponse:
    if "console" in call.request.params:  # GET <compute>?console: its serial console log
        text = entities.console_log(call.op, call.route.path)
        return HttpResponse(200, Rendered("text/plain; charset=utf-8", text.encode()))
    return _entity(call, entities.read(call.op, call.route.path))


def put_entity(call: Call) -> HttpResponse:
    outcome = entities.put(call.op, call.route.path, call.occi, call.expected)
    return _created(call, outcome) if isinstance(outcome, str) else _entity(call, outcome)


def delete_entity(call: Call) -> HttpResponse:
    entities.delete(call.op, call.route.path, call.expected)
    return HttpResponse(200, call.renderer.ok())


def post_to_entity(call: Call) -> HttpResponse:
    op, path = call.op, call.route.path
    term = call.request.params.get("action")
    if term is None:
        return _entity(call, entities.update(op, path, call.occi, call.expected))
    outcome = actions.invoke(op, path, term, call.occi, call.shared.hooks)
    if isinstance(outcome, Accepted):
        # The result appears later at its location; the job's rendering shows the progress.
        base = call.request.base_url
        headers = [
            ("Location", base + outcome.location),
            ("Link", f'<{base}{outcome.job}>; rel="monitor"'),
        ]
        return HttpResponse(202, call.renderer.created(outcome.location), headers)
    if isinstance(outcome, Category):
        return HttpResponse(200, call.renderer.categories([outcome]))
    return _entity(call, outcome if isinstance(outcome, Entity) else op.cloud.get_entity(path))


ROUTES: dict[Target, dict[str, Handler]] = {
    Target.QUERY: {
        "GET": discover,
        "HEAD": discover,
        "POST": add_user_mixins,
        "DELETE": delete_user_mixins,
    },
    Target.ROOT: {"GET": list_root, "HEAD": list_root, "POST": create_at_root},
    Target.KIND: {
        "GET": list_collection,
        "HEAD": list_collection,
        "POST": post_to_kind,
        "DELETE": delete_kind_members,
    },
    Target.MIXIN: {
        "GET": list_collection,
        "HEAD": list_collection,
        "POST": post_to_mixin,
        "PUT": replace_mixin_members,
        "DELETE": remove_mixin_members,
    },
    Target.UNBOUND: {"GET": list_unbound, "HEAD": list_unbound, "DELETE": delete_unbound},
    Target.ENTITY: {
        "GET": read_entity,
        "HEAD": read_entity,
        "POST": post_to_entity,
        "PUT": put_entity,
        "DELETE": delete_entity,
    },
}
# Collections a text/uri-list answer can list.
LISTINGS = frozenset({Target.KIND, Target.MIXIN, Target.ROOT, Target.UNBOUND})


# -- shared responses ---------------------------------------------------------------------------
def _listing(
    call: Call, collection: Kind | Mixin | None, prefix: str | None = None
) -> HttpResponse:
    op, renderer = call.op, call.renderer
    q = collections.build_query(
        op,
        collection,
        call.occi,
        call.request.params,
        call.shared.limits.max_page_size,
        prefix=prefix,
    )
    if getattr(renderer, "wants_entities", False):
        secrets = call.shared.catalogue.secret_attributes
        found = [_hide_secrets(e, secrets) for e in op.cloud.list_entities(q)]
        return HttpResponse(200, renderer.entities(found))
    return HttpResponse(200, renderer.locations(op.cloud.list_locations(q)))


def _members(call: Call, mixin: Mixin) -> HttpResponse:
    """A changed mixin collection answers with its listing (unfiltered)."""
    return _listing(call._replace(occi=OcciRequest()), mixin)


def _collection_action(call: Call, term: str) -> HttpResponse:
    collection = call.route.collection
    assert collection is not None
    limits = call.shared.limits
    q = collections.build_query(call.op, collection, OcciRequest(), {}, limits.max_page_size)
    q.limit = limits.max_action_members + 1  # one more than allowed: enough to tell "too many"
    actions.invoke_on_collection(call.op, collection, term, call.occi, q, limits.max_action_members)
    return HttpResponse(200, call.renderer.ok())


def _mixin(call: Call) -> Mixin:
    mixin = call.route.collection
    assert isinstance(mixin, Mixin)
    return mixin


def _created(call: Call, location: str) -> HttpResponse:
    url = call.request.base_url + location
    return HttpResponse(201, call.renderer.created(location), [("Location", url)])


def _entity(call: Call, entity: Entity) -> HttpResponse:
    headers = [("ETag", f'"{entity.version}"')] if entity.version else []
    secrets = call.shared.catalogue.secret_attributes
    return HttpResponse(200, call.renderer.entity(_hide_secrets(entity, secrets)), headers)


def _hide_secrets(entity: Entity, secrets: frozenset[str]) -> Entity:
    if secrets:
        for name in secrets & entity.attributes.keys():
            del entity.attributes[name]
    return entity
