"""Reading Nova servers as OCCI computes, at a cost that does not grow with the project.

One compute: its server record plus calls scoped to that server (ports by device_id, floating
IPs by port, subnets by id, its volumes), in two concurrent stages. A listing: Nova's servers
(every page, or only as far as the OCCI page needs) and, for a rendering with links, the ports
with their floating IPs and subnets. Flavors and images come from the per-project cache.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from occi_server.backends.openstack import storage, views
from occi_server.backends.openstack.compute import is_gone, mixin_tag
from occi_server.backends.openstack.scope import Scope
from occi_server.errors import NotFound
from occi_server.model import Link, Resource


def start_reading(scope: Scope, path: str, params: Mapping[str, str]) -> None:
    """Start the first calls a read of `path` makes (one compute, or the whole listing),
    so that they run beside the groups the request's catalogue waits for."""
    kind, _, server_id = path.strip("/").partition("/")
    if kind != "compute":
        return
    if server_id and "/" not in server_id:
        scope.start(f"server {server_id}", lambda: _server(scope, server_id))
        scope.start(f"ports {server_id}", lambda: _ports(scope, server_id))
    elif not server_id and not params:
        scope.start("servers", lambda: _server_pages(scope, 0, None))


def get_compute(scope: Scope, server_id: str) -> Resource:
    """One compute from calls scoped to its server, in two concurrent stages: the server, its
    ports and the groups; then its ports' floating IPs and subnets, and its volumes' states."""
    answers: list[Any] = scope.api.together(
        lambda: scope.take(f"server {server_id}", lambda: _server(scope, server_id)),
        lambda: scope.take(f"ports {server_id}", lambda: _ports(scope, server_id)),
        scope.offer,
        scope.groups,
    )
    server, ports = answers[0], answers[1]
    if is_gone(server):
        raise NotFound(f"/compute/{server_id}: no such entity")
    return _render(scope, [server], ports, volumes=True)[0]


def list_computes(
    scope: Scope, offset: int = 0, limit: int | None = None, *, details: bool = True
) -> list[Resource]:
    """The project's computes (Nova's order), all of them or one OCCI page of them.

    A page walks Nova's markers only as far as it needs. Without details (a text listing
    needs locations and mixins only) the server records are all it reads; with details, the
    ports (all of the project's for a whole listing, by server for a page), then their
    floating IPs and subnets."""
    api, whole = scope.api, offset == 0 and limit is None
    answers: list[Any] = api.together(
        lambda: _servers(scope, offset, limit),
        lambda: (
            api.every("network", "/v2.0/ports", "ports", project_id=api.project_id)
            if details and whole
            else []
        ),
        scope.offer,
        scope.groups,
    )
    servers, ports = answers[0], answers[1]
    if not details:
        return [_compute(scope, s, [], None, None) for s in servers]
    if not whole:
        ids = [s["id"] for s in servers]
        ports = api.list_by("network", "/v2.0/ports", "ports", "device_id", ids)
    return _render(scope, servers, ports, volumes=False)


def locations(scope: Scope, offset: int = 0, limit: int | None = None) -> list[str]:
    """Where the project's computes are: their server records only."""
    return [f"/compute/{s['id']}" for s in _servers(scope, offset, limit)]


def _server(scope: Scope, server_id: str) -> dict[str, Any]:
    return scope.api.get("compute", f"/servers/{server_id}")["server"]  # type: ignore[no-any-return]


def _ports(scope: Scope, server_id: str) -> list[dict[str, Any]]:
    return scope.api.every("network", "/v2.0/ports", "ports", device_id=server_id)


def _servers(scope: Scope, offset: int, limit: int | None) -> list[dict[str, Any]]:
    """Servers that exist for OCCI, from `offset`, at most `limit`, fetching no further page."""
    if offset == 0 and limit is None:
        return scope.take("servers", lambda: _server_pages(scope, 0, None))
    return _server_pages(scope, offset, limit)


def _server_pages(scope: Scope, offset: int, limit: int | None) -> list[dict[str, Any]]:
    wanted = None if limit is None else offset + limit
    found: list[dict[str, Any]] = []
    for page in scope.api.pages("compute", "/servers/detail", "servers", limit=wanted):
        found += [s for s in page if not is_gone(s)]
        if wanted is not None and len(found) >= wanted:
            break
    return found[offset:wanted]


def _render(
    scope: Scope, servers: list[dict[str, Any]], ports: list[dict[str, Any]], *, volumes: bool
) -> list[Resource]:
    """Servers with their links: ports from `ports`, then floating IPs by port and subnets by
    id (and, for one compute, the devices and states of its volumes), concurrently."""
    api, ids = scope.api, {s["id"] for s in servers}
    mine = [
        p
        for p in ports
        if str(p.get("device_owner", "")).startswith("compute:") and p.get("device_id") in ids
    ]
    subnet_ids = {str(f.get("subnet_id")) for p in mine for f in p.get("fixed_ips") or []}
    attached = [
        (s["id"], v["id"])
        for s in servers
        for v in s.get("os-extended-volumes:volumes_attached") or []
    ]
    answers: list[Any] = api.together(
        lambda: api.list_by(
            "network", "/v2.0/floatingips", "floatingips", "port_id", [p["id"] for p in mine]
        ),
        lambda: api.list_by("network", "/v2.0/subnets", "subnets", "id", subnet_ids),
        lambda: _attachments(scope, attached, one=volumes),
    )
    fips, subnets, known = answers
    by_subnet = {s["id"]: s for s in subnets}
    port_links: dict[str, list[Link]] = defaultdict(list)
    port_owner = {}
    for port in mine:
        port_links[port["device_id"]].append(views.port_link(port, by_subnet))
        port_owner[port["id"]] = port["device_id"]
    floating: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for fip in fips:
        owner = port_owner.get(str(fip.get("port_id")))
        if owner:
            floating[owner].append(fip)
    return [_compute(scope, s, port_links[s["id"]], floating[s["id"]], known) for s in servers]


def _attachments(
    scope: Scope, attached: list[tuple[str, str]], *, one: bool
) -> dict[tuple[str, str], Link]:
    """Nova's attachments as storagelinks. For one compute, each from its two ends (device and
    state; a missing one is gone); for a listing, stated by Cinder's attachment records."""
    if not attached:
        return {}
    if one:
        found = scope.api.together(
            *(lambda pair=pair: storage.attachment(scope, *pair) for pair in attached)
        )
        return {pair: link for pair, link in zip(attached, found, strict=True) if link}
    # Cinder drops its record before Nova drops its own at the end of a detach (an attach
    # makes Cinder's first): one Nova holds alone is being detached.
    phases = storage.attachment_phases(scope)
    return {
        pair: storage.phased_link(*pair, None, phases.get(pair, "detaching")) for pair in attached
    }


def _compute(
    scope: Scope,
    server: dict[str, Any],
    ports: list[Link],
    fips: list[dict[str, Any]] | None = None,
    volumes: dict[tuple[str, str], Link] | None = None,
) -> Resource:
    """A server as a compute. Its storagelinks are Nova's attachments, as `volumes` states
    them (an attachment missing there is gone); without `volumes`, in Nova's words only."""
    offer, groups, fips = scope.offer(), scope.groups(), fips or []
    mixins: list[str] = []
    flavor = offer.flavor_by_name(str((server.get("flavor") or {}).get("original_name", "")))
    if flavor is not None:
        mixins.append(flavor.type_id)
    image_ref = server.get("image") or {}
    image = offer.image_by_id(str(image_ref.get("id"))) if isinstance(image_ref, dict) else None
    if image is not None:
        mixins.append(image.type_id)
    names = {g.get("name") for g in server.get("security_groups") or []}
    tags = set(server.get("tags") or [])
    # A server Nova is still building has no ports, so no groups yet: the tags it was created
    # with name them (see create_compute), so that it is a member at once.
    building = server.get("status") == "BUILD" and not names
    mixins += [
        m.type_id
        for m in groups.mixins
        if groups.name_of(m.type_id) in names
        or groups.id_of(m.type_id) in names
        or (building and mixin_tag(m.type_id) in tags)
    ]
    mixins += [m.type_id for m in groups.plain if mixin_tag(m.type_id) in tags]
    links: list[Link] = [*ports, *(views.floating_link(server["id"], f) for f in fips)]
    for volume in server.get("os-extended-volumes:volumes_attached") or []:
        if volumes is None:
            links.append(views.storage_link(server["id"], volume["id"], None))
        elif (server["id"], volume["id"]) in volumes:
            links.append(volumes[(server["id"], volume["id"])])
    ordered = sorted(fips, key=lambda f: str(f.get("created_at", "")))
    return views.compute_entity(server, mixins, links, [f["floating_ip_address"] for f in ordered])
