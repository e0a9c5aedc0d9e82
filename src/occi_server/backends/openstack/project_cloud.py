"""One caller's operations on OpenStack: the ProjectCloud protocol, dispatched by kind."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from occi_server.backends.base import (
    ActionOutcome,
    DiskFile,
    EntityChanges,
    EntityDraft,
    EntityQuery,
)
from occi_server.backends.openstack import (
    appliance_disks,
    compute,
    security,
    servers,
    storage,
    views,
)
from occi_server.backends.openstack.scope import Scope
from occi_server.categories import cdmi
from occi_server.categories import infrastructure as infra
from occi_server.categories import openstack as ext
from occi_server.errors import BadRequest, NotFound
from occi_server.model import Entity, Mixin, Resource

RULES = "/network/security/rule/"
LISTERS = (infra.COMPUTE, infra.STORAGE, infra.NETWORK, ext.SECURITY_RULE)


class OpenStackProjectCloud:
    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def start_reading(self, path: str, params: Mapping[str, str]) -> None:
        """A read of `path` is coming: its groups (which the catalogue needs first) and its
        first calls start together, so they cost one round trip to OpenStack, not two."""
        self._scope.start("groups", lambda: security.load_groups(self._scope.api))
        servers.start_reading(self._scope, path, params)

    # -- categories ------------------------------------------------------------------------
    def provider_mixins(self) -> Sequence[Mixin]:
        return self._scope.offer().mixins

    def user_mixins(self) -> Sequence[Mixin]:
        groups = self._scope.groups()
        return [*groups.mixins, *groups.plain]

    def catalogue_version(self) -> str:
        """A digest of this project's offer and user mixins (both read from OpenStack)."""
        ids = sorted(
            m.type_id + (m.location or "") for m in (*self.provider_mixins(), *self.user_mixins())
        )
        return hashlib.sha1("\n".join(ids).encode()).hexdigest()[:16]

    def create_user_mixin(self, mixin: Mixin) -> None:
        security.create_group(self._scope.api, mixin)
        self._scope.forget_groups()

    def delete_user_mixin(self, mixin: Mixin) -> None:
        security.delete_group(self._scope.api, self._scope.groups(), mixin)
        self._scope.forget_groups()

    # -- reading ---------------------------------------------------------------------------
    def list_locations(self, query: EntityQuery) -> list[str]:
        # Text renderings list locations: the server and volume records are enough for them,
        # unless attributes are filtered on (or interfaces wanted, which need the ports).
        if set(query.kinds or ()) == {infra.COMPUTE} and not query.mixins and not query.attributes:
            return servers.locations(self._scope, query.offset, query.limit)
        return [e.location for e in self._entities(query, details=bool(query.attributes))]

    def list_entities(self, query: EntityQuery) -> list[Entity]:
        return [self._shown(e) for e in self._entities(query, details=True)]

    def _shown(self, entity: Entity) -> Entity:
        """A storage says where its bytes are a CDMI object (when this server serves CDMI)."""
        if self._scope.cdmi_base and entity.kind == infra.STORAGE:
            entity.attributes[cdmi.LOCATION] = self._scope.cdmi_base + quote(entity.id, safe="")
        return entity

    def _entities(self, query: EntityQuery, *, details: bool) -> list[Entity]:
        wanted = set(query.kinds) if query.kinds is not None else None
        scope = self._scope
        if (
            not query.mixins
            and not query.attributes
            and wanted in ({infra.COMPUTE}, {infra.STORAGE})
        ):
            # One kind, no filter: the OCCI page is walked on the service's markers.
            if wanted == {infra.COMPUTE}:
                return list(
                    servers.list_computes(scope, query.offset, query.limit, details=details)
                )
            return list(storage.list_volumes(scope, query.offset, query.limit))
        links = wanted is None or infra.STORAGELINK in wanted
        ports = details or wanted is None or infra.NETWORKINTERFACE in wanted
        loaders: list[Callable[[], Any]] = [lambda: [], lambda: [], lambda: [], lambda: []]
        if wanted is None or wanted & {infra.COMPUTE, infra.NETWORKINTERFACE, infra.STORAGELINK}:
            loaders[0] = lambda: servers.list_computes(scope, details=ports)
        if wanted is None or wanted & {infra.STORAGE, infra.STORAGELINK}:
            loaders[1] = lambda: storage.volume_records(scope)
        if wanted is None or infra.NETWORK in wanted:
            loaders[2] = lambda: storage.list_networks(scope)
        if wanted is None or ext.SECURITY_RULE in wanted:
            loaders[3] = self._rules
        computes, volumes, networks, rules = scope.api.together(*loaders)
        found: list[Entity] = []
        for resource in computes:
            found += [resource, *(x for x in resource.links if x.kind != infra.STORAGELINK)]
        attached = [x for r in computes for x in r.links if x.kind == infra.STORAGELINK]
        if links:  # Nova's attachments, with Cinder's device and state
            found += storage.restate(attached, {v["id"]: v for v in volumes})
        found += [views.volume_entity(v, storage.links_in(v)) for v in volumes]
        found += [*networks, *rules]
        chosen = [e for e in _unique(found) if _matches(e, query, wanted)]
        end = None if query.limit is None else query.offset + query.limit
        return chosen[query.offset : end]

    def _rules(self, group_id: str | None = None) -> list[Entity]:
        groups = self._scope.groups()
        found = self._scope.api.every(
            "network",
            "/v2.0/security-group-rules",
            "security_group_rules",
            project_id=self._scope.api.project_id,
            security_group_id=group_id,
            direction="ingress",
        )
        result: list[Entity] = []
        for rule in found:
            mixin = groups.by_id(str(rule["security_group_id"]))
            if mixin is not None and groups.is_group(mixin.type_id) and rule.get("protocol"):
                result.append(views.rule_entity(rule, mixin.type_id))
        return result

    def get_entity(self, location: str) -> Entity:
        scope, ident = self._scope, storage.tail(location)
        if location.startswith("/storage/link/"):
            return storage.get_attachment(scope, ident)
        if location.startswith("/compute/"):
            return servers.get_compute(scope, ident)
        if location.startswith("/storage/"):
            return self._shown(storage.get_volume(scope, ident))
        if location.startswith("/networklink/"):
            return storage.get_interface(scope, ident)
        if location.startswith("/network/") and not location.startswith(RULES):
            return _only(storage.list_networks(scope, ident), location)
        if location.startswith(RULES):
            rule = scope.api.get("network", f"/v2.0/security-group-rules/{ident}")
            group = scope.groups().by_id(str(rule["security_group_rule"]["security_group_id"]))
            mixin_id = group.type_id if group is not None else None
            return views.rule_entity(rule["security_group_rule"], mixin_id)
        raise NotFound(f"{location}: no such entity")

    # -- writing ---------------------------------------------------------------------------
    def create_entity(self, draft: EntityDraft) -> str:
        # The location only: reading the new server back would cost its whole record again.
        if draft.location is not None or draft.id is not None:
            raise BadRequest("OpenStack chooses the ids: create with POST on the collection")
        scope, kind = self._scope, draft.kind.type_id
        if draft.link is not None:
            attributes = {**draft.attributes, **draft.link.attributes}
            if kind == infra.STORAGELINK:
                return storage.attach_volume(
                    scope, draft.link.source, draft.link, attributes
                ).location
            if kind == infra.NETWORKINTERFACE:
                return (
                    f"/networklink/{storage.attach_interface(scope, draft.link.source, draft.link)}"
                )
            raise BadRequest(f"{kind}: links of this kind are not supported on OpenStack")
        if kind == infra.COMPUTE:
            return f"/compute/{compute.create_compute(scope, draft)}"
        if kind == infra.STORAGE:
            return f"/storage/{storage.create_volume(scope, draft)}"
        if kind == infra.NETWORK:
            return f"/network/{storage.create_network(scope, draft)}"
        if kind == ext.SECURITY_RULE:
            return self._create_rule(draft).location
        raise BadRequest(f"{kind}: cannot be created on OpenStack")

    def _create_rule(self, draft: EntityDraft) -> Entity:
        groups = self._scope.groups()
        chosen = [m for m in draft.mixins if groups.is_group(m.type_id)]
        if len(chosen) != 1:
            raise BadRequest("a rule needs exactly one security group mixin")
        body = security.rule_body(groups.id_of(chosen[0].type_id), draft.attributes)
        rule = self._scope.api.post(
            "network", "/v2.0/security-group-rules", {"security_group_rule": body}
        )["security_group_rule"]
        return views.rule_entity(rule, chosen[0].type_id)

    def update_entity(self, location: str, changes: EntityChanges) -> Entity:
        if changes.add_links:
            raise BadRequest("create links with POST on /storage/link/ or /networklink/")
        ident = storage.tail(location)
        if location.startswith("/compute/"):
            compute.update_compute(self._scope, ident, changes)
        elif location.startswith(("/storage/link/", "/networklink/", RULES)):
            raise BadRequest(f"{location}: OpenStack cannot change this; delete and create it")
        elif location.startswith("/storage/"):
            storage.update_volume(self._scope, ident, changes)
        elif location.startswith("/network/"):
            storage.update_network(self._scope, ident, changes)
        else:
            raise NotFound(f"{location}: no such entity")
        return self.get_entity(location)

    def delete_entity(self, location: str) -> None:
        scope, ident = self._scope, storage.tail(location)
        if location.startswith("/storage/link/"):
            storage.detach_volume(scope, ident)
        elif location.startswith("/compute/"):
            compute.delete_compute(scope, ident)
        elif location.startswith("/storage/"):
            storage.delete_volume(scope, ident)
        elif location.startswith("/networklink/"):
            storage.detach_interface(scope, ident)
        elif location.startswith(RULES):
            scope.api.delete("network", f"/v2.0/security-group-rules/{ident}")
        elif location.startswith("/network/"):
            storage.delete_network(scope, ident)
        else:
            raise NotFound(f"{location}: no such entity")

    def invoke_action(
        self, location: str, action: str, parameters: dict[str, Any]
    ) -> ActionOutcome:
        entity = self.get_entity(location)
        if not isinstance(entity, Resource) or entity.kind != infra.COMPUTE:
            raise BadRequest(f"action {action} is not available on {location}")
        outcome = compute.invoke(self._scope, entity, action, parameters)
        return outcome if outcome is not None else self.get_entity(location)

    # -- disk bytes (OVF import and export: appliance_disks.py) --------------------------------
    def upload_image(self, term: str, path: Path, title: str, capacity: int) -> Mixin:
        return appliance_disks.upload_image(self._scope, term, path, title, capacity)

    def delete_image(self, term: str) -> None:
        appliance_disks.delete_image(self._scope, term)

    def upload_volume(self, title: str, path: Path) -> str:
        return appliance_disks.upload_volume(self._scope, title, path)

    def fitting_flavor(self, cores: int, memory_mib: int, disk_bytes: int) -> Mixin:
        return appliance_disks.fitting_flavor(self._scope, cores, memory_mib, disk_bytes)

    def export_disks(self, location: str) -> Callable[[Path], list[DiskFile]]:
        return appliance_disks.export_disks(self._scope, storage.tail(location))


def _unique(entities: list[Entity]) -> list[Entity]:
    seen: dict[str, Entity] = {}
    for entity in entities:
        seen.setdefault(entity.location, entity)
    return list(seen.values())


def _matches(entity: Entity, query: EntityQuery, wanted: set[str] | None) -> bool:
    if wanted is not None and entity.kind not in wanted:
        return False
    if query.mixins and not set(query.mixins) <= set(entity.mixins):
        return False
    if query.location_prefix and not entity.location.startswith(query.location_prefix):
        return False
    return all(entity.attributes.get(k) == v for k, v in query.attributes.items())


def _only(found: list[Resource], location: str) -> Resource:
    if not found:
        raise NotFound(f"{location}: no such entity")
    return found[0]
