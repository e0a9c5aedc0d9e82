"""One registry of categories per request: static catalogue + backend offers + user mixins.

Routes, the query interface, validation and the actions advertised on entities all read it, so
nothing is advertised that is not implemented and nothing works that is not advertised.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from occi_server.categories import core, infrastructure
from occi_server.model import Action, Attribute, Category, Kind, Mixin
from occi_server.model.category import KindExtension


class Catalogue:
    """The static part: built once at start-up from what the backend implements."""

    def __init__(self, categories: Iterable[Category]) -> None:
        self.categories: tuple[Category, ...] = tuple(categories)
        self.by_id: dict[str, Category] = {}
        self.by_location: dict[str, Kind | Mixin] = {}
        # Write-only attributes (passwords): accepted, stored hashed, never rendered.
        self.secret_attributes = frozenset(
            a.name for c in self.categories for a in c.attributes if a.secret
        )
        for category in self.categories:
            if category.type_id in self.by_id:
                raise ValueError(f"duplicate category {category.type_id}")
            self.by_id[category.type_id] = category
            location = getattr(category, "location", None)
            if location:
                if location in self.by_location:
                    raise ValueError(f"duplicate location {location}")
                self.by_location[location] = category  # type: ignore[assignment]

    @classmethod
    def for_backend(
        cls,
        served_kinds: frozenset[str],
        implemented_actions: frozenset[str],
        supported_mixins: frozenset[str],
        extra: Sequence[Category] = (),
        extensions: Sequence[KindExtension] = (),
    ) -> Catalogue:
        """Keep only what the backend really does; trim kinds' action lists to match."""
        chosen: list[Category] = list(core.KINDS)
        candidates: list[Category] = [
            *(_extend(k, extensions) for k in infrastructure.KINDS),
            *infrastructure.MIXINS,
            *extra,
        ]
        extra_actions = [c for c in extra if isinstance(c, Action)]
        for category in candidates:
            if isinstance(category, Kind) and category.type_id not in served_kinds:
                continue
            if (
                isinstance(category, Mixin)
                and category not in extra
                and (category.type_id not in supported_mixins)
            ):
                continue
            if isinstance(category, Action):
                continue
            if isinstance(category, Kind | Mixin):
                kept = tuple(a for a in category.actions if a in implemented_actions)
                category = dataclasses.replace(category, actions=kept)
            chosen.append(category)
        advertised = {a for c in chosen if isinstance(c, Kind | Mixin) for a in c.actions}
        for action in (*infrastructure.ACTIONS, *extra_actions):
            if action.type_id in advertised:
                chosen.append(action)
        return cls(chosen)


def _extend(kind: Kind, extensions: Sequence[KindExtension]) -> Kind:
    for extension in extensions:
        if extension.kind == kind.type_id:
            kind = dataclasses.replace(
                kind,
                actions=(*kind.actions, *extension.actions),
                attributes=(*kind.attributes, *extension.attributes),
            )
    return kind


class Registry:
    """The catalogue plus this request's dynamic mixins (templates, pools, user mixins)."""

    def __init__(self, catalogue: Catalogue, dynamic: Sequence[Mixin] = ()) -> None:
        self.catalogue = catalogue
        self.dynamic = tuple(dynamic)
        self._by_id = dict(catalogue.by_id)
        self._by_location = dict(catalogue.by_location)
        for mixin in self.dynamic:
            self._by_id.setdefault(mixin.type_id, mixin)
            if mixin.location:
                self._by_location.setdefault(mixin.location, mixin)

    # -- lookups -----------------------------------------------------------------------------
    def categories(self) -> list[Category]:
        return [*self.catalogue.categories, *self.dynamic]

    def get(self, type_id: str) -> Category | None:
        found = self._by_id.get(type_id)
        if found is None and "#" not in type_id:
            # Tolerate a scheme sent without its trailing '#'.
            scheme, _, term = type_id.rpartition("/")
            found = self._by_id.get(f"{scheme}#{term}")
        return found

    def kind(self, type_id: str) -> Kind | None:
        found = self.get(type_id)
        return found if isinstance(found, Kind) else None

    def mixin(self, type_id: str) -> Mixin | None:
        found = self.get(type_id)
        return found if isinstance(found, Mixin) else None

    def action(self, type_id: str) -> Action | None:
        found = self.get(type_id)
        return found if isinstance(found, Action) else None

    def at_location(self, path: str) -> Kind | Mixin | None:
        return self._by_location.get(path)

    def locations(self) -> dict[str, Kind | Mixin]:
        return self._by_location

    def kinds(self) -> list[Kind]:
        return [c for c in self.categories() if isinstance(c, Kind)]

    # -- derived facts -----------------------------------------------------------------------
    def lineage(self, kind: Kind) -> list[Kind]:
        """The kind and its parents, nearest first."""
        chain = [kind]
        seen = {kind.type_id}
        while chain[-1].parent and chain[-1].parent not in seen:
            parent = self.kind(chain[-1].parent)
            if parent is None:
                break
            seen.add(parent.type_id)
            chain.append(parent)
        return chain

    def is_a(self, kind: Kind, ancestor: str) -> bool:
        return any(k.type_id == ancestor for k in self.lineage(kind))

    def subkinds(self, kind: Kind) -> tuple[str, ...]:
        """The kind and every kind below it."""
        return tuple(k.type_id for k in self.kinds() if self.is_a(k, kind.type_id))

    def mixin_closure(self, mixins: Iterable[Mixin]) -> list[Mixin]:
        """The mixins and everything they depend on, transitively (depends-first order kept)."""
        result: list[Mixin] = []
        seen: set[str] = set()
        stack = list(mixins)
        while stack:
            mixin = stack.pop(0)
            if mixin.type_id in seen:
                continue
            seen.add(mixin.type_id)
            result.append(mixin)
            stack.extend(m for d in mixin.depends if (m := self.mixin(d)) is not None)
        return result

    def depends_on(self, mixin: Mixin, ancestor: str) -> bool:
        return any(m.type_id == ancestor for m in self.mixin_closure([mixin]))

    def attribute_definitions(
        self, kind: Kind, mixins: Iterable[Mixin] = ()
    ) -> dict[str, Attribute]:
        """Every attribute an entity of `kind` with `mixins` may carry; templates' defaults win."""
        definitions: dict[str, Attribute] = {}
        for k in reversed(self.lineage(kind)):
            for attr in k.attributes:
                definitions[attr.name] = attr
        for mixin in reversed(self.mixin_closure(mixins)):
            for attr in mixin.attributes:
                base = definitions.get(attr.name)
                if base is not None and attr.default is not None:
                    # A template sets a default for a kind attribute: keep the kind's typing rules.
                    definitions[attr.name] = dataclasses.replace(base, default=attr.default)
                else:
                    definitions.setdefault(attr.name, attr)
        return definitions

    def actions_of(self, kind: Kind, mixins: Iterable[Mixin] = ()) -> list[str]:
        actions: list[str] = []
        for k in self.lineage(kind):
            actions.extend(k.actions)
        for mixin in self.mixin_closure(mixins):
            actions.extend(mixin.actions)
        return list(dict.fromkeys(actions))

    def action_owner(self, action_id: str) -> Kind | Mixin | None:
        for category in self.categories():
            if isinstance(category, Kind | Mixin) and action_id in category.actions:
                return category
        return None
