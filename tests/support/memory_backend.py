"""A small in-memory cloud: the backend protocol of backends/base.py over dicts.

It serves compute, storage, network and their links, with start/stop on compute, so tests of
service/ (no HTTP, no database) and of http/ (the ASGI app in process) exercise the OCCI
semantics against something real but simple. It holds one project per RequestContext.project_id
and keeps no rules beyond those the protocol promises (versions move on every change, a resource
takes its links with it, NotFound names the location).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from occi_server.backends.base import (
    SERVED_KINDS,
    SUPPORTED_MIXINS,
    ActionOutcome,
    EntityChanges,
    EntityDraft,
    EntityQuery,
    LinkDraft,
)
from occi_server.categories import infrastructure as infra
from occi_server.context import RequestContext
from occi_server.errors import BadRequest, Conflict, NotFound
from occi_server.model import Category, Entity, Link, Mixin, Resource
from occi_server.model.category import KindExtension

ACTIONS = frozenset({infra.START.type_id, infra.STOP.type_id})
_STATES = {infra.START.type_id: "active", infra.STOP.type_id: "inactive"}


@dataclass
class Project:
    entities: dict[str, Entity] = field(default_factory=dict)
    user_mixins: list[Mixin] = field(default_factory=list)
    version: int = 0


class MemoryBackend:
    name = "memory"

    def __init__(self) -> None:
        self.projects: dict[str, Project] = {}
        self._ids = itertools.count(1)
        self.sessions_opened = 0

    def served_kinds(self) -> frozenset[str]:
        return SERVED_KINDS

    def implemented_actions(self) -> frozenset[str]:
        return ACTIONS

    def supported_mixins(self) -> frozenset[str]:
        return SUPPORTED_MIXINS

    def extra_categories(self) -> Sequence[Category]:
        return ()

    def kind_extensions(self) -> Sequence[KindExtension]:
        return ()

    @contextmanager
    def open(self, ctx: RequestContext, *, write: bool = True) -> Iterator[MemoryProjectCloud]:
        del write
        self.sessions_opened += 1
        yield MemoryProjectCloud(self.projects.setdefault(ctx.project_id, Project()), self._ids)

    def start(self) -> None:
        """Nothing runs in the background."""

    def readiness(self, timeout: float) -> dict[str, str | None]:
        return {"memory": None}  # nothing it depends on can be down

    def close(self) -> None:
        self.projects.clear()


class MemoryProjectCloud:
    def __init__(self, project: Project, ids: Iterator[int]) -> None:
        self.project = project
        self._ids = ids

    # -- categories ------------------------------------------------------------------------
    def provider_mixins(self) -> Sequence[Mixin]:
        return ()

    def user_mixins(self) -> Sequence[Mixin]:
        return list(self.project.user_mixins)

    def catalogue_version(self) -> str:
        return ",".join(m.type_id for m in self.project.user_mixins)

    def create_user_mixin(self, mixin: Mixin) -> None:
        self.project.user_mixins.append(mixin)

    def delete_user_mixin(self, mixin: Mixin) -> None:
        self.project.user_mixins.remove(mixin)
        for entity in self.project.entities.values():
            if mixin.type_id in entity.mixins:
                entity.mixins.remove(mixin.type_id)

    # -- reading ---------------------------------------------------------------------------
    def list_entities(self, query: EntityQuery) -> list[Entity]:
        found = [e for e in self.project.entities.values() if _matches(e, query)]
        end = None if query.limit is None else query.offset + query.limit
        return [self._view(e) for e in found[query.offset : end]]

    def list_locations(self, query: EntityQuery) -> list[str]:
        return [e.location for e in self.list_entities(query)]

    def get_entity(self, location: str) -> Entity:
        found = self.project.entities.get(location)
        if found is None:
            raise NotFound(f"no entity at {location}")
        return self._view(found)

    # -- writing ---------------------------------------------------------------------------
    def create_entity(self, draft: EntityDraft) -> str:
        if draft.link is not None:
            return self._add_link(draft.link, draft.kind.type_id, draft.id, draft.location).location
        entity_id = draft.id or str(next(self._ids))
        location = draft.location or f"{draft.kind.location}{entity_id}"
        self._claim(location)
        attributes = dict(draft.attributes)
        if draft.kind.type_id == infra.COMPUTE:
            attributes.setdefault("occi.compute.state", "active")
        self.project.entities[location] = Resource(
            id=entity_id,
            kind=draft.kind.type_id,
            location=location,
            mixins=[m.type_id for m in draft.mixins],
            attributes=attributes,
            version=self._next_version(),
        )
        for inline in draft.links:
            inline.source = location
            self._add_link(inline, inline.kind.type_id, inline.id, inline.location)
        return location

    def update_entity(self, location: str, changes: EntityChanges) -> Entity:
        entity = self.project.entities.get(location)
        if entity is None:
            raise NotFound(f"no entity at {location}")
        removed = {m.type_id for m in changes.remove_mixins}
        entity.mixins = [m for m in entity.mixins if m not in removed]
        entity.mixins += [m.type_id for m in changes.add_mixins if m.type_id not in entity.mixins]
        entity.attributes.update(changes.set_attributes)
        for name in changes.remove_attributes:
            entity.attributes.pop(name, None)
        for link in changes.add_links:
            link.source = location
            self._add_link(link, link.kind.type_id, link.id, link.location)
        entity.version = self._next_version()
        return self.get_entity(location)

    def delete_entity(self, location: str) -> None:
        if location not in self.project.entities:
            raise NotFound(f"no entity at {location}")
        for other in list(self.project.entities.values()):
            if isinstance(other, Link) and location in (other.source, other.target):
                del self.project.entities[other.location]
        del self.project.entities[location]

    def invoke_action(
        self, location: str, action: str, parameters: dict[str, Any]
    ) -> ActionOutcome:
        del parameters
        entity = self.project.entities.get(location)
        if entity is None:
            raise NotFound(f"no entity at {location}")
        if action not in _STATES or entity.kind != infra.COMPUTE:
            raise BadRequest(f"action {action} is not available here")
        entity.attributes["occi.compute.state"] = _STATES[action]
        entity.version = self._next_version()
        return None

    # -- helpers ---------------------------------------------------------------------------
    def _add_link(
        self, draft: LinkDraft, kind: str, entity_id: str | None, location: str | None
    ) -> Entity:
        if draft.source not in self.project.entities:
            raise BadRequest(f"attribute occi.core.source: no resource at {draft.source}")
        entity_id = entity_id or str(next(self._ids))
        path = location or ("/storage/link/" if kind == infra.STORAGELINK else "/link/") + entity_id
        self._claim(path)
        self.project.entities[path] = Link(
            id=entity_id,
            kind=kind,
            location=path,
            mixins=[m.type_id for m in draft.mixins],
            attributes=dict(draft.attributes),
            source=draft.source,
            target=draft.target,
            target_kind=draft.target_kind,
            version=self._next_version(),
        )
        return self.get_entity(path)

    def _claim(self, location: str) -> None:
        if location in self.project.entities:
            raise Conflict(f"{location}: already taken")

    def _next_version(self) -> str:
        self.project.version += 1
        return str(self.project.version)

    def _view(self, entity: Entity) -> Entity:
        """A copy, as a real backend hands out fresh objects; a resource with its links."""
        copy = dataclasses.replace(entity)
        copy.attributes = dict(entity.attributes)
        copy.mixins = list(entity.mixins)
        if isinstance(copy, Resource):
            copy.links = [
                link
                for link in self.project.entities.values()
                if isinstance(link, Link) and link.source == entity.location
            ]
        if entity.kind == infra.COMPUTE:
            copy.actions = sorted(ACTIONS)
        return copy


def _matches(entity: Entity, query: EntityQuery) -> bool:
    if query.kinds is not None and entity.kind not in query.kinds:
        return False
    if any(m not in entity.mixins for m in query.mixins):
        return False
    if query.location_prefix and not entity.location.startswith(query.location_prefix):
        return False
    return all(entity.attributes.get(k) == v for k, v in query.attributes.items())
