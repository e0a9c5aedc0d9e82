"""What an OCCI server describes and serves: categories, their attribute definitions, entities.

These are the client's own types, filled by its own parsers (text.py, occijson.py) from what a
server sends; nothing here comes from the server package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

CategoryClass = Literal["kind", "mixin", "action"]

CORE = "http://schemas.ogf.org/occi/core#"
INFRA = "http://schemas.ogf.org/occi/infrastructure#"
OS_TPL = INFRA + "os_tpl"
RESOURCE_TPL = INFRA + "resource_tpl"
LINK_KIND = CORE + "link"


def type_id(scheme: str, term: str) -> str:
    return scheme + term


def split_type_id(identifier: str) -> tuple[str, str]:
    """(scheme, term) of `http://...#term`; the scheme keeps its '#'."""
    scheme, sep, term = identifier.rpartition("#")
    if not sep or not term:
        raise ValueError(f"not a category type identifier: {identifier!r}")
    return scheme + "#", term


@dataclass(frozen=True, slots=True)
class AttributeDef:
    """An attribute definition from the query interface (text gives only name and flags)."""

    name: str
    type: str | None = None  # JSON rendering's type: string, number, boolean, array, object
    mutable: bool = True
    required: bool = False
    default: Any = None
    description: str | None = None
    pattern: Any = None


@dataclass(slots=True)
class Category:
    """A kind, a mixin or an action as the query interface describes it."""

    term: str
    scheme: str
    category_class: CategoryClass
    title: str | None = None
    location: str | None = None
    attributes: dict[str, AttributeDef] = field(default_factory=dict)
    actions: list[str] = field(default_factory=list)
    parent: str | None = None  # kinds; text `rel`
    depends: list[str] = field(default_factory=list)  # mixins; text `rel`
    applies: list[str] = field(default_factory=list)  # mixins (JSON only)

    @property
    def type_id(self) -> str:
        return self.scheme + self.term

    @property
    def rel(self) -> list[str]:
        return [self.parent] if self.parent else list(self.depends)

    def __str__(self) -> str:
        return self.type_id


@dataclass(slots=True)
class Link:
    """An OCCI link: inline in a resource rendering, or a link entity's relations."""

    target: str
    rel: list[str] = field(default_factory=list)  # the target's kind(s)
    location: str | None = None  # `self`
    kind: str | None = None  # first of `category`
    mixins: list[str] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)
    source: str | None = None


@dataclass(slots=True)
class Entity:
    """A resource or a link. Attributes are keyed by their OCCI names (occi.core.* included)."""

    kind: str
    mixins: list[str] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)  # type ids of the applicable actions
    location: str | None = None

    @property
    def id(self) -> str | None:
        value = self.attributes.get("occi.core.id")
        return None if value is None else str(value)

    @property
    def title(self) -> str | None:
        value = self.attributes.get("occi.core.title")
        return None if value is None else str(value)

    @property
    def state(self) -> str | None:
        """The `<kind>.state` attribute (occi.compute.state, ...), if any."""
        for name, value in self.attributes.items():
            if name.startswith("occi.") and name.endswith(".state") and name.count(".") == 2:
                return str(value)
        return None

    @property
    def source(self) -> str | None:
        value = self.attributes.get("occi.core.source")
        return None if value is None else str(value)

    @property
    def target(self) -> str | None:
        value = self.attributes.get("occi.core.target")
        return None if value is None else str(value)

    def action_terms(self) -> list[str]:
        return [a.rpartition("#")[2] for a in self.actions]


class UnknownCategory(LookupError):
    """A kind, mixin or action name the server's model does not have (or has more than once)."""


@dataclass(slots=True)
class Model:
    """The query interface's answer."""

    categories: list[Category] = field(default_factory=list)
    media_types: list[str] = field(default_factory=list)  # the server's `Accept` header

    @property
    def kinds(self) -> list[Category]:
        return [c for c in self.categories if c.category_class == "kind"]

    @property
    def mixins(self) -> list[Category]:
        return [c for c in self.categories if c.category_class == "mixin"]

    @property
    def actions(self) -> list[Category]:
        return [c for c in self.categories if c.category_class == "action"]

    def get(self, identifier: str) -> Category | None:
        for category in self.categories:
            if category.type_id == identifier:
                return category
        return None

    def depends_on(self, category: Category, base: str) -> bool:
        """Whether `category` depends on `base` (a type id), directly or through other mixins."""
        seen: set[str] = set()
        todo = list(category.depends)
        while todo:
            current = todo.pop()
            if current == base:
                return True
            if current not in seen:
                seen.add(current)
                found = self.get(current)
                if found is not None:
                    todo.extend(found.depends)
        return False

    def templates(self, base: str) -> list[Category]:
        """The mixins that depend on `base` (OS_TPL, RESOURCE_TPL, ...)."""
        return [m for m in self.mixins if self.depends_on(m, base)]

    def kind(self, name: str) -> Category:
        """A kind by type id, term or location (`compute`, `/compute/`)."""
        return self._one(name, self.kinds, "kind")

    def mixin(self, name: str) -> Category:
        """A mixin by type id, term, or rOCCI's `os_tpl#term` / `resource_tpl#term` form."""
        found = self.get(name)
        if found is not None and found.category_class == "mixin":
            return found
        prefix, sep, term = name.partition("#")
        if sep and "/" not in prefix:
            base = self._one(prefix, self.mixins, "mixin")
            templates = self.templates(base.type_id)
            candidates = [m for m in templates if m.term == term]
            # A unique prefix will do for templates (`os_tpl#cirros` for cirros-0.3.0-...).
            candidates = candidates or [m for m in templates if m.term.startswith(term)]
            return self._exactly_one(name, candidates, "mixin")
        return self._one(name, self.mixins, "mixin")

    def action(self, name: str, entity: Entity | None = None) -> Category:
        """An action by type id or term; a term is looked up among the entity's kind and mixins
        first (several kinds define `start`)."""
        found = self.get(name)
        if found is not None and found.category_class == "action":
            return found
        candidates = [a for a in self.actions if a.term == name]
        if entity is not None and len(candidates) > 1:
            owners = [self.get(entity.kind), *(self.get(m) for m in entity.mixins)]
            defined = {a for owner in owners if owner is not None for a in owner.actions}
            candidates = [a for a in candidates if a.type_id in defined] or candidates
        return self._exactly_one(name, candidates, "action")

    def link_kind_for(self, target_kind: str) -> Category:
        """The link kind for a target of `target_kind`: storage -> storagelink,
        network -> networkinterface (rOCCI-cli's choice), else core#link."""
        if target_kind == INFRA + "storage":
            return self.kind(INFRA + "storagelink")
        if target_kind == INFRA + "network":
            return self.kind(INFRA + "networkinterface")
        return self.kind(LINK_KIND)

    def kind_at(self, location: str) -> Category | None:
        """The kind whose collection holds `location` (a path), the longest match; kind
        locations may be URLs (ooi)."""
        best: tuple[int, Category] | None = None
        for kind in self.kinds:
            if not kind.location:
                continue
            prefix = urlsplit(kind.location).path if "://" in kind.location else kind.location
            inside = location.startswith(prefix) and "/" not in location[len(prefix) :]
            if inside and (best is None or len(prefix) > best[0]):
                best = (len(prefix), kind)
        return best[1] if best else None

    def _one(self, name: str, pool: list[Category], what: str) -> Category:
        for category in pool:
            if name in (category.type_id, category.location):
                return category
        return self._exactly_one(name, [c for c in pool if c.term == name], what)

    @staticmethod
    def _exactly_one(name: str, candidates: list[Category], what: str) -> Category:
        if not candidates:
            raise UnknownCategory(f"the server has no {what} {name!r}")
        if len(candidates) > 1:
            ids = ", ".join(c.type_id for c in candidates)
            raise UnknownCategory(f"{what} {name!r} is ambiguous ({ids}): give its type id")
        return candidates[0]
