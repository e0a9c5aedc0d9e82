"""One caller's operations on the embedded cloud, inside one database transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from occi_server.backends.base import (
    ON_EVENT_LOOP,
    ActionOutcome,
    DiskFile,
    EntityChanges,
    EntityDraft,
    EntityQuery,
    LinkDraft,
    Offload,
)
from occi_server.backends.local import (
    control,
    floating_ips,
    images,
    links,
    mixins,
    queries,
    quotas,
    reads,
    security,
    store,
    versions,
)
from occi_server.backends.local.rules import KindRules, Update
from occi_server.backends.local.scope import Scope
from occi_server.backends.local.store import EntityRecord
from occi_server.backends.local.views import Viewer
from occi_server.categories import infrastructure as infra
from occi_server.drivers.hypervisor import FLOATING_IPS, GuestKey
from occi_server.drivers.volumes import GLOBAL_PROJECT, disk_of, gib, image_of, volume_of
from occi_server.errors import BadRequest, Conflict, NotFound
from occi_server.model import Entity, Mixin

_DEFAULT_RULES = KindRules()
# A delete on the event loop takes at most this many links along (a few ms); more: a thread.
INLINE_DELETE_LINKS = 16


class LocalProjectCloud:
    def __init__(
        self, scope: Scope, rules: Mapping[str, KindRules], implemented: frozenset[str]
    ) -> None:
        self._scope = scope
        self._rules = rules
        self._implemented = implemented
        self._view = Viewer(scope, self._rules_for, implemented)

    @property
    def scope(self) -> Scope:
        """The request's scope, for the embedded cloud's own surfaces (backends/local/objects)."""
        return self._scope

    def _rules_for(self, kind: str) -> KindRules:
        return self._rules.get(kind, _DEFAULT_RULES)

    # -- categories ---------------------------------------------------------------------------
    def provider_mixins(self) -> Sequence[Mixin]:
        cloud = self._scope.cloud
        templates = cloud.templates
        floating = FLOATING_IPS in cloud.drivers.hypervisor.features
        return [
            *templates.mixins,
            *images.snapshots(self._scope),
            *(floating_ips.pool_mixin(p) for p in cloud.offer.floating_pools if floating),
        ]

    def user_mixins(self) -> Sequence[Mixin]:
        return mixins.list_user_mixins(self._scope)

    def catalogue_version(self) -> str:
        return versions.current(self._scope)

    def create_user_mixin(self, mixin: Mixin) -> None:
        group = 1 if security.is_group(mixin) else 0
        quotas.require(self._scope, {"user_mixins": 1, "security_groups": group})
        mixins.create_user_mixin(self._scope, mixin, self.provider_mixins())
        versions.bump(self._scope)

    def delete_user_mixin(self, mixin: Mixin) -> None:
        if mixin.type_id in security.group_ids(self._scope):
            security.before_group_delete(self._scope, mixin, self.delete_entity)
        mixins.delete_user_mixin(self._scope, mixin)
        versions.bump(self._scope)

    # -- reading ------------------------------------------------------------------------------
    def list_locations(self, query: EntityQuery) -> list[str]:
        return reads.locations(
            self._scope.tx,
            reads.listing_key(self._scope.project_id, query),
            lambda: queries.locations_statement(self._scope, query),
        )

    def list_entities(self, query: EntityQuery) -> list[Entity]:
        return self._view.many(queries.rows(self._scope, query))

    def get_entity(self, location: str) -> Entity:
        found = reads.entity(self._scope.tx, self._scope.project_id, location)
        if found is None:
            raise NotFound(f"no entity at {location}")
        links = {found.row.pk: found.links}
        return self._view.assemble([found.row], links, found.mixins, found.kinds)[0]

    def console_log(self, location: str) -> str:
        """The guest's serial console log (a compute of this project only)."""
        found = reads.entity(self._scope.tx, self._scope.project_id, location)
        if found is None or found.row.kind != infra.COMPUTE:
            raise NotFound(f"no compute at {location}")
        key = GuestKey(self._scope.project_id, found.row.location)
        return self._scope.cloud.drivers.hypervisor.console_log(key)

    # -- writing ------------------------------------------------------------------------------
    def create_entity(self, draft: EntityDraft) -> str:
        if draft.link is not None:
            return self._create_link(draft, draft.link).location
        return self._create_resource(draft).location

    def _create_resource(self, draft: EntityDraft) -> EntityRecord:
        scope = self._scope
        if draft.kind.type_id in links.LINK_KINDS:
            raise BadRequest("a link needs occi.core.source and occi.core.target")
        mixins.check_owned(scope, [*draft.mixins, *(m for ln in draft.links for m in ln.mixins)])
        rules = self._rules_for(draft.kind.type_id)
        attributes = dict(draft.attributes)
        chosen = rules.prepare(scope, draft, attributes, list(draft.mixins))
        quotas.require(scope, quotas.for_new(draft.kind.type_id, attributes))
        entity_id, location = store.new_identity(
            scope, draft.id, draft.location, draft.kind.location
        )
        row = store.insert_entity(
            scope,
            entity_id=entity_id,
            kind=draft.kind.type_id,
            location=location,
            attributes=attributes,
            mixins=[m.type_id for m in chosen],
        )
        rules.after_create(scope, row, draft)
        for inline in draft.links:
            self._add_link(row, inline)
        return row

    def _create_link(self, draft: EntityDraft, link: LinkDraft) -> EntityRecord:
        chosen = list({m.type_id: m for m in [*draft.mixins, *link.mixins]}.values())
        mixins.check_owned(self._scope, chosen)
        row = links.create_link(
            self._scope,
            links.NewLink(
                kind=draft.kind,
                mixins=chosen,
                attributes={**draft.attributes, **link.attributes},
                source=link.source,
                target=link.target,
                target_kind=link.target_kind,
                given=link.given,
                id=draft.id or link.id,
                location=draft.location or link.location,
            ),
        )
        # The link kind's rules hear of it (a storagelink attaches its volume to the guest).
        self._rules_for(draft.kind.type_id).after_create(self._scope, row, draft)
        return row

    def _add_link(self, source: EntityRecord, link: LinkDraft) -> EntityRecord:
        row = links.create_link(
            self._scope,
            links.NewLink(
                kind=link.kind,
                mixins=list(link.mixins),
                attributes=dict(link.attributes),
                source=source.location,
                target=link.target,
                target_kind=link.target_kind,
                given=link.given,
                id=link.id,
                location=link.location,
                source_row=source,
            ),
        )
        inline = EntityDraft(
            kind=link.kind, mixins=list(link.mixins), attributes=dict(link.attributes)
        )
        self._rules_for(link.kind.type_id).after_create(self._scope, row, inline)
        return row

    def update_entity(self, location: str, changes: EntityChanges) -> Entity:
        scope = self._scope
        row = store.get(scope, location, for_update=True)
        mixins.check_owned(scope, changes.add_mixins)
        _check_link_ends(row, changes.set_attributes)
        attributes = {**row.attributes, **changes.set_attributes}
        for name in changes.remove_attributes:
            attributes.pop(name, None)
        current = store.mixins_of(scope, row)
        change = Update(
            attributes=attributes,
            current=current,
            add=list(changes.add_mixins),
            remove=[m.type_id for m in changes.remove_mixins],
        )
        self._rules_for(row.kind).before_update(scope, row, change)
        final = change.mixins()
        store.remove_mixins(scope, row, [m for m in current if m not in final])
        store.add_mixins(scope, row, final)
        store.write_attributes(scope, row, change.attributes)
        if changes.add_links and store.is_link(row):
            raise BadRequest("a link cannot have links")
        for link in changes.add_links:
            self._add_link(row, link)
        store.bump(scope, row)
        return self.get_entity(row.location)

    def delete_entity(self, location: str) -> None:
        scope = self._scope
        row = store.get(scope, location, for_update=True)
        self._rules_for(row.kind).before_delete(scope, row)
        # Composition: a resource takes every link that starts or ends at it.
        attached = [] if store.is_link(row) else store.attached(scope, row)
        if len(attached) > INLINE_DELETE_LINKS and ON_EVENT_LOOP.get():
            raise Offload(f"{location} takes {len(attached)} links along")
        for link in attached:
            self._rules_for(link.kind).before_delete(scope, link)
        store.delete_entities(scope, [*attached, row])

    def invoke_action(
        self, location: str, action: str, parameters: dict[str, Any]
    ) -> ActionOutcome:
        row = store.get(self._scope, location, for_update=True)
        if action not in self._implemented:
            raise BadRequest(f"action {action} is not available here")
        outcome = self._rules_for(row.kind).invoke(self._scope, row, action, dict(parameters))
        return outcome if outcome is not None else self.get_entity(row.location)

    # -- disk bytes (OVF import and export) ---------------------------------------------------
    def place_storage(self, storage_id: str, path: Path) -> None:
        self._place(volume_of(self._scope.project_id, storage_id), path, f"storage {storage_id}")

    def discard_storage(self, storage_id: str) -> None:
        self._scope.cloud.drivers.volumes.delete(volume_of(self._scope.project_id, storage_id))

    def place_image(self, term: str, path: Path) -> None:
        self._place(image_of(self._scope.project_id, term), path, f"an OS image called {term}")

    def _place(self, name: str, path: Path, what: str) -> None:
        volumes = self._scope.cloud.drivers.volumes
        if volumes.exists(name):
            raise Conflict(f"{what} already has bytes")
        volumes.import_file(name, path)

    def record_image(self, term: str, title: str, size: int) -> Mixin:
        mixin = images.add_uploaded(self._scope, term, "qcow2", size, title=title)
        versions.bump(self._scope)
        return mixin

    def discard_image(self, term: str) -> None:
        self._scope.cloud.drivers.volumes.delete(image_of(self._scope.project_id, term))

    def disks_of(self, location: str) -> list[DiskFile]:
        scope = self._scope
        row = store.get(scope, location)
        if row.kind != infra.COMPUTE:
            raise BadRequest(f"{location} is not a compute")
        volumes = scope.cloud.drivers.volumes
        root = disk_of(control.guest(scope, row))
        flavor_disk = gib(float(row.attributes.get("org.openstack.flavor.disk") or 1))
        if volumes.exists(root):  # the QEMU driver's overlay on the image
            found = [_file(volumes, root, flavor_disk, "root disk", overlay=True)]
        else:  # never written by its guest: it holds its image's bytes (zeros without one)
            found = [_root_image(scope, row, flavor_disk)]
        # Device ids first (vdb, vdc, ...), links without one in the order they were made.
        attached = sorted(
            store.links_from(scope, row, infra.STORAGELINK),
            key=lambda link: (str(link.attributes.get(links.DEVICE) or "~"), link.pk),
        )
        for link in attached:
            target = store.by_pk(scope, link.target_pk) if link.target_pk is not None else None
            if target is None:
                continue
            size = gib(float(target.attributes.get("occi.storage.size", 0.0)))
            title = str(target.attributes.get("occi.core.title") or target.id)
            found.append(_file(volumes, volume_of(scope.project_id, target.id), size, title))
        return found


def _root_image(scope: Scope, row: EntityRecord, flavor_disk: int) -> DiskFile:
    """The image a compute booted from, as its root disk (a file of the store, if it has one)."""
    volumes = scope.cloud.drivers.volumes
    for term, size in images.booted(scope, store.mixins_of(scope, row)):
        for project in (scope.project_id, GLOBAL_PROJECT):
            name = image_of(project, term)
            if volumes.exists(name):
                return _file(volumes, name, max(flavor_disk, size), "root disk")
    return DiskFile(None, flavor_disk, "root disk")


def _file(volumes: Any, name: str, size: int, title: str, *, overlay: bool = False) -> DiskFile:
    """The disk's file in the store when it has one (the simulated hypervisor writes none)."""
    path = getattr(volumes, "path", None)
    if path is None or not volumes.exists(name):
        return DiskFile(None, size, title)
    return DiskFile(path(name), max(size, volumes.size(name)), title, overlay)


def _check_link_ends(row: EntityRecord, values: Mapping[str, Any]) -> None:
    for name, current in (("occi.core.source", row.source), ("occi.core.target", row.target)):
        if name in values and str(values[name]) != (current or ""):
            raise BadRequest(f"attribute {name} cannot be changed; create a new link instead")
