"""Categories: identifiers of OCCI types (Kind), capabilities (Mixin) and operations (Action)."""

from __future__ import annotations

from dataclasses import dataclass

from occi_server.model.attribute import Attribute


@dataclass(frozen=True, slots=True, kw_only=True)
class Category:
    scheme: str
    term: str
    title: str = ""
    attributes: tuple[Attribute, ...] = ()

    @property
    def type_id(self) -> str:
        return self.scheme + self.term

    @property
    def category_class(self) -> str:
        raise NotImplementedError

    def attribute(self, name: str) -> Attribute | None:
        for attr in self.attributes:
            if attr.name == name:
                return attr
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Kind(Category):
    parent: str | None = None
    actions: tuple[str, ...] = ()
    location: str | None = None

    @property
    def category_class(self) -> str:
        return "kind"


@dataclass(frozen=True, slots=True, kw_only=True)
class Mixin(Category):
    depends: tuple[str, ...] = ()
    applies: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    location: str | None = None
    # Created by a user through the query interface (deletable by its project; provider ones: 403).
    user_defined: bool = False

    @property
    def category_class(self) -> str:
        return "mixin"


@dataclass(frozen=True, slots=True, kw_only=True)
class Action(Category):
    @property
    def category_class(self) -> str:
        return "action"


def split_type_id(type_id: str) -> tuple[str, str]:
    """Split `scheme#term` (or a scheme ending in `/`) into (scheme, term)."""
    for sep in ("#", "/"):
        index = type_id.rfind(sep)
        if index != -1 and index < len(type_id) - 1:
            return type_id[: index + 1], type_id[index + 1 :]
    return type_id, ""


@dataclass(frozen=True, slots=True, kw_only=True)
class KindExtension:
    """Provider additions to a standard kind: more actions and attributes (OCCI extensibility)."""

    kind: str
    actions: tuple[str, ...] = ()
    attributes: tuple[Attribute, ...] = ()
