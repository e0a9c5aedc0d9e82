"""Links: referential integrity, storage attachments, network interfaces and their addresses."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from occi_server.backends.local import addresses, network, quotas, store
from occi_server.backends.local.rules import KindRules, Update
from occi_server.backends.local.scope import Scope
from occi_server.backends.local.storage import IMPORTING
from occi_server.categories import core
from occi_server.categories import infrastructure as infra
from occi_server.errors import BadRequest, Conflict
from occi_server.model import Kind, Mixin

if TYPE_CHECKING:
    from occi_server.backends.local.imports import Source

INTERFACE = "occi.networkinterface.interface"
MAC = "occi.networkinterface.mac"
DEVICE = "occi.storagelink.deviceid"
IF_ADDRESS = "occi.networkinterface.address"
IF_GATEWAY = "occi.networkinterface.gateway"
IF_ALLOCATION = "occi.networkinterface.allocation"
TARGET_KIND = "occi.core.target.kind"
# OpenStack's prefix: the 0x02 bit of fa marks the MAC as locally administered.
MAC_PREFIX = "fa:16:3e"
# What each link kind may connect: (source kind, target kind); None = any resource.
ENDS: dict[str, tuple[str | None, str | None]] = {
    infra.STORAGELINK: (infra.COMPUTE, infra.STORAGE),
    infra.NETWORKINTERFACE: (infra.COMPUTE, infra.NETWORK),
}
LINK_KINDS = frozenset({core.LINK, infra.STORAGELINK, infra.NETWORKINTERFACE})


@dataclass(slots=True, kw_only=True)
class NewLink:
    kind: Kind
    mixins: list[Mixin]
    attributes: dict[str, Any]
    source: str
    target: str
    target_kind: str | None = None
    id: str | None = None
    location: str | None = None
    given: str | None = None  # LinkDraft.given
    source_row: store.EntityRecord | None = field(default=None)
    # Where an interface's address comes from when not its target's range (floating IPs).
    space: addresses.AddressSpace | None = None


def create_link(scope: Scope, link: NewLink) -> store.EntityRecord:
    kind = link.kind.type_id
    source = link.source_row or _source(scope, link.source)
    imported = _import_source(scope, kind, link.target, link.given)
    target_row: store.EntityRecord | None
    if imported is not None:  # a CDMI object: a new volume that will hold a copy of it
        importer = scope.cloud.importer
        assert importer is not None
        target_row = importer.new_volume(scope, imported)
        target = target_row.location
    else:
        target_row, target = _target(scope, kind, link.target)
    want_source, want_target = ENDS.get(kind, (None, None))
    if want_source is not None and source.kind != want_source:
        raise BadRequest(f"occi.core.source: a {link.kind.term} starts at a {_term(want_source)}")
    if want_target is not None and (target_row is None or target_row.kind != want_target):
        raise BadRequest(f"occi.core.target: a {link.kind.term} ends at a {_term(want_target)}")
    attributes = dict(link.attributes)
    mixin_ids = [m.type_id for m in link.mixins]
    if target_row is None and link.target_kind:
        attributes[TARGET_KIND] = link.target_kind
    if kind == infra.STORAGELINK:
        assert target_row is not None
        _check_detached(scope, target_row)
        attributes["occi.storagelink.state"] = "active" if imported is None else "inactive"
        if imported is not None:  # attached once the copy is in (imports.py)
            attributes["occi.storagelink.state.message"] = IMPORTING + imported.url
        attributes[DEVICE] = _device(scope, source, str(attributes.get(DEVICE) or ""))
    elif kind == infra.NETWORKINTERFACE:
        attributes.setdefault(INTERFACE, _next_interface(scope, source))
        attributes.setdefault(MAC, _unique_mac(scope))
        attributes["occi.networkinterface.state"] = "active"
    entity_id, location = store.new_identity(scope, link.id, link.location, link.kind.location)
    row = store.insert_entity(
        scope,
        entity_id=entity_id,
        kind=kind,
        location=location,
        attributes=attributes,
        mixins=mixin_ids,
        source=source.location,
        target=target,
        source_pk=source.pk,
        target_pk=target_row.pk if target_row is not None else None,
    )
    if kind == infra.NETWORKINTERFACE and target_row is not None:
        _assign_address(scope, row, target_row, attributes.get(IF_ADDRESS), link.space)
    store.bump_pks(scope, [source.pk, target_row.pk if target_row is not None else None])
    if imported is not None and scope.cloud.importer is not None and target_row is not None:
        scope.cloud.importer.queue(scope, target_row, row, imported)
    return row


class LinkRules(KindRules):
    def before_update(self, scope: Scope, row: store.EntityRecord, change: Update) -> None:
        if row.kind != infra.NETWORKINTERFACE or infra.IPNETWORKINTERFACE not in change.current:
            return
        wanted = change.attributes.get(IF_ADDRESS)
        if wanted == row.attributes.get(IF_ADDRESS):
            return
        target = store.by_pk(scope, row.target_pk) if row.target_pk is not None else None
        if target is None:
            return
        addresses.release(scope, row.pk)
        address = _assign_address(scope, row, target, wanted)
        change.attributes.update(
            {IF_ADDRESS: address, IF_ALLOCATION: "static" if wanted else "dynamic"}
        )

    def before_delete(self, scope: Scope, row: store.EntityRecord) -> None:
        addresses.release(scope, row.pk)
        store.bump_pks(scope, [row.source_pk, row.target_pk])


def local_path(scope: Scope, reference: str) -> str | None:
    """The path of a reference into this service; None for an external http(s) URI."""
    reference = reference.strip()
    if reference.startswith("/"):
        return reference
    base = scope.ctx.base_url.rstrip("/")
    if reference.startswith(base + "/"):
        return reference[len(base) :]
    try:
        parts = urlsplit(reference)
    except ValueError:  # the service checked it already (service/urls.py); never a 500 here
        parts = urlsplit("")
    if parts.scheme in ("http", "https") and parts.netloc:
        return None
    raise BadRequest(f"{reference!r} is neither a path nor an http(s) URI")


def _import_source(
    scope: Scope, kind: str, reference: str, given: str | None = None
) -> Source | None:
    """What a storagelink's target asks the cloud to import: a CDMI object of this server or
    an external URL (None: an OCCI resource, checked as any target is). `given`: the URL on
    another port of this host, another server's unless `reference` is a resource here."""
    importer = scope.cloud.importer
    if kind != infra.STORAGELINK or importer is None or not reference:
        return None
    path = local_path(scope, reference)
    if given and (path is None or store.find(scope, path) is None):
        return importer.source(scope, given, None)
    return importer.source(scope, reference.strip(), path)


def _source(scope: Scope, reference: str) -> store.EntityRecord:
    path = local_path(scope, reference) if reference else None
    row = store.find(scope, path) if path else None
    if row is None or store.is_link(row):
        raise BadRequest(f"occi.core.source: no resource at {reference or '(none)'}")
    return row


def _target(scope: Scope, kind: str, reference: str) -> tuple[store.EntityRecord | None, str]:
    path = local_path(scope, reference) if reference else ""
    if path is None:
        if kind in ENDS:
            raise BadRequest(f"occi.core.target: {reference} is not a resource of this service")
        return None, reference.strip()  # an external target (OCCI 1.2)
    row = store.find(scope, path) if path else None
    if row is None or store.is_link(row):
        raise BadRequest(f"occi.core.target: no resource at {reference or '(none)'}")
    return row, path


def _term(type_id: str) -> str:
    return type_id.rpartition("#")[2]


def _check_detached(scope: Scope, storage: store.EntityRecord) -> None:
    # A Cinder volume is attached to one server at a time.
    holder = store.holder(scope, storage, infra.STORAGELINK)
    if holder is not None:
        raise Conflict(f"{storage.location} is already attached to {holder}")


def _next_interface(scope: Scope, compute: store.EntityRecord) -> str:
    interfaces = store.links_from(scope, compute, infra.NETWORKINTERFACE)
    names = {str(link.attributes.get(INTERFACE)) for link in interfaces}
    index = 0
    while f"eth{index}" in names:
        index += 1
    return f"eth{index}"


def _device(scope: Scope, compute: store.EntityRecord, requested: str) -> str:
    """The volume's device name: the requested one where the hypervisor's bus honours it,
    else the name the guest will really give it (the first free /dev/vdX after the root disk
    when none is asked for, as Nova picks one)."""
    taken = [
        str(link.attributes.get(DEVICE))
        for link in store.links_from(scope, compute, infra.STORAGELINK)
    ]
    device = scope.cloud.drivers.hypervisor.device_name(requested, taken)
    if device is None:
        raise Conflict(f"{compute.location}: no free device name for another volume")
    return device


def _unique_mac(scope: Scope) -> str:
    for _ in range(16):
        mac = MAC_PREFIX + "".join(f":{secrets.randbelow(256):02x}" for _ in range(3))
        if not store.value_taken(scope, MAC, mac):
            return mac
    raise Conflict("could not find a free MAC address; try again")


def _assign_address(
    scope: Scope,
    row: store.EntityRecord,
    target: store.EntityRecord,
    requested: Any,
    space: addresses.AddressSpace | None = None,
) -> str | None:
    """Give an interface its address when its network (or `space`) has an IP range."""
    space = space or network_space(scope, target)
    if space is None:
        return None
    net = space.network
    if space.key in quotas.floating_keys(scope):  # a public address: the floating-IP quota
        quotas.require(scope, {"floating_ips": 1})
    if requested is not None and not addresses.is_host(net, str(requested)):
        raise BadRequest(f"attribute {IF_ADDRESS}: {requested} is not a host address of {net}")
    address = addresses.allocate(
        scope,
        space.key,
        net,
        row.pk,
        reserved=space.reserved,
        requested=str(requested) if requested is not None else None,
    )
    attributes = dict(row.attributes)
    attributes.update({IF_ADDRESS: address, IF_ALLOCATION: "static" if requested else "dynamic"})
    if space.gateway:
        attributes[IF_GATEWAY] = space.gateway
    store.write_attributes(scope, row, attributes)
    store.add_mixins(scope, row, [infra.IPNETWORKINTERFACE])
    return address


def network_space(scope: Scope, target: store.EntityRecord) -> addresses.AddressSpace | None:
    """The addresses a network hands its interfaces: its CIDR without its gateway."""
    net = network.ip_network(target.attributes, store.mixins_of(scope, target))
    if net is None:
        return None
    gateway = target.attributes.get(network.GATEWAY)
    return addresses.AddressSpace(
        key=network.pool_of(scope, target),
        network=net,
        reserved=frozenset({str(gateway)} if gateway else ()),
        gateway=str(gateway) if gateway else None,
    )
