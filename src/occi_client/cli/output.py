"""What the `occi` command prints: plain text for people, json / json_pretty for scripts."""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import Any, TextIO

from occi_client.model import Category, Entity, Model

FORMATS = ("plain", "json", "json_pretty")


class Printer:
    def __init__(self, fmt: str = "plain", out: TextIO | None = None) -> None:
        self.fmt = fmt
        self.out = out or sys.stdout

    def _json(self, value: Any) -> None:
        indent = 2 if self.fmt == "json_pretty" else None
        self.out.write(json.dumps(value, indent=indent, default=str) + "\n")

    def lines(self, items: list[str]) -> None:
        if self.fmt == "plain":
            for item in items:
                self.out.write(item + "\n")
        else:
            self._json(items)

    def message(self, text: str, **fields: Any) -> None:
        if self.fmt == "plain":
            self.out.write(text + "\n")
        else:
            self._json(fields)

    def entities(self, entities: list[Entity]) -> None:
        if self.fmt != "plain":
            self._json([entity_dict(e) for e in entities])
            return
        for index, entity in enumerate(entities):
            if index:
                self.out.write("\n")
            self.out.write(entity_text(entity))

    def entity(self, entity: Entity) -> None:
        if self.fmt != "plain":
            self._json(entity_dict(entity))
        else:
            self.out.write(entity_text(entity))

    def categories(self, categories: list[Category]) -> None:
        if self.fmt != "plain":
            self._json([dataclasses.asdict(c) for c in categories])
            return
        for category in categories:
            self.out.write(category_text(category))

    def model(self, model: Model) -> None:
        if self.fmt != "plain":
            self._json(
                {
                    "kinds": [dataclasses.asdict(c) for c in model.kinds],
                    "mixins": [dataclasses.asdict(c) for c in model.mixins],
                    "actions": [dataclasses.asdict(c) for c in model.actions],
                }
            )
            return
        for title, group in (
            ("KINDS", model.kinds),
            ("MIXINS", model.mixins),
            ("ACTIONS", model.actions),
        ):
            self.out.write(f"{title}:\n")
            for category in group:
                where = f"  {category.location}" if category.location else ""
                label = f"  ({category.title})" if category.title else ""
                self.out.write(f"  {category.type_id}{where}{label}\n")


def entity_dict(entity: Entity) -> dict[str, Any]:
    return dataclasses.asdict(entity)


def entity_text(entity: Entity) -> str:
    term = entity.kind.rpartition("#")[2].upper() or "ENTITY"
    rows = [f"{term}: {entity.location or ''}", f"  kind:    {entity.kind}"]
    rows += [f"  mixin:   {m}" for m in entity.mixins]
    width = max((len(k) for k in entity.attributes), default=0)
    rows += [f"  {k.ljust(width)} = {_value(v)}" for k, v in sorted(entity.attributes.items())]
    for link in entity.links:
        rows.append(f"  link:    {link.location or '-'} -> {link.target} ({link.kind or '?'})")
        rows += [f"           {k} = {_value(v)}" for k, v in sorted(link.attributes.items())]
    if entity.actions:
        rows.append("  actions: " + " ".join(entity.action_terms()))
    return "\n".join(rows) + "\n"


def category_text(category: Category) -> str:
    rows = [f"{category.category_class.upper()}: {category.type_id}"]
    for label, value in (("title", category.title), ("location", category.location)):
        if value:
            rows.append(f"  {label}: {value}")
    if category.rel:
        rows.append("  rel: " + " ".join(category.rel))
    for name, spec in category.attributes.items():
        flags = [
            f for f, on in (("required", spec.required), ("immutable", not spec.mutable)) if on
        ]
        extra = f" [{', '.join(flags)}]" if flags else ""
        default = f" default={spec.default!r}" if spec.default is not None else ""
        rows.append(f"  attribute: {name}{extra}{default}")
    rows += [f"  action: {a}" for a in category.actions]
    return "\n".join(rows) + "\n"


def _value(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else value
