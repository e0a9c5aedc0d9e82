"""Attribute definitions (OCCI 1.2 Core §Attribute) and the coercion of values to them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from occi_server.errors import BadRequest

Value = str | int | float | bool | list[Any] | dict[str, Any]


class AttributeType(StrEnum):
    """Concrete value types; JSON maps them to string/number/boolean/array/object."""

    STRING = "string"
    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    LIST = "list"
    HASH = "hash"

    @property
    def json_type(self) -> str:
        return {
            "string": "string",
            "integer": "number",
            "float": "number",
            "boolean": "boolean",
            "list": "array",
            "hash": "object",
        }[self.value]


@dataclass(frozen=True, slots=True, kw_only=True)
class Attribute:
    """The definition of one attribute: its name and properties."""

    name: str
    type: AttributeType = AttributeType.STRING
    required: bool = False
    mutable: bool = True
    default: Value | None = None
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    description: str | None = None
    # Never rendered back to clients (passwords): accepted on input, hidden on output.
    secret: bool = False
    _compiled: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.pattern is not None:
            object.__setattr__(self, "_compiled", re.compile(self.pattern))

    def coerce(self, value: Any) -> Value:
        """Return `value` converted to this attribute's type, or raise BadRequest naming it."""
        converted = _convert(self, value)
        if self.enum is not None and converted not in self.enum:
            raise BadRequest(
                f"attribute {self.name}: {_shown(value)} is not one of {', '.join(self.enum)}"
            )
        if (
            self._compiled is not None
            and isinstance(converted, str)
            and not self._compiled.fullmatch(converted)
        ):
            raise BadRequest(
                f"attribute {self.name}: {_shown(value)} does not match {self.pattern}"
            )
        if isinstance(converted, int | float) and not isinstance(converted, bool):
            if self.minimum is not None and converted < self.minimum:
                raise BadRequest(
                    f"attribute {self.name}: {_shown(converted)} is below {self.minimum:g}"
                )
            if self.maximum is not None and converted > self.maximum:
                raise BadRequest(
                    f"attribute {self.name}: {_shown(converted)} is above {self.maximum:g}"
                )
        return converted


def _convert(attr: Attribute, value: Any) -> Value:
    kind = attr.type
    bad = BadRequest(f"attribute {attr.name}: {_shown(value)} is not a valid {kind.value}")
    if kind is AttributeType.STRING:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise bad
        return value if isinstance(value, str) else _plain_number(value)
    if kind is AttributeType.BOOLEAN:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise bad
    if kind is AttributeType.INTEGER:
        if isinstance(value, bool):
            raise bad
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"-?\d{1,18}", value.strip()):
            return int(value)
        raise bad
    if kind is AttributeType.FLOAT:
        if isinstance(value, bool):
            raise bad
        if isinstance(value, int | float):
            try:
                result = float(value)
            except OverflowError:  # an integer beyond the float range (1e309 and up)
                raise bad from None
        elif isinstance(value, str) and re.fullmatch(r"-?\d{0,18}(\.\d{0,18})?", value.strip()):
            try:
                result = float(value)
            except ValueError:
                raise bad from None
        else:
            raise bad
        if result != result or result in (float("inf"), float("-inf")):
            raise bad
        return result
    # Text renderings carry lists and hashes as JSON inside a quoted string (rOCCI's form).
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise bad from None
    if kind is AttributeType.LIST and isinstance(value, list):
        return value
    if kind is AttributeType.HASH and isinstance(value, dict):
        return value
    raise bad


def _shown(value: Any, limit: int = 60) -> str:
    """A value as an error message quotes it: never longer than `limit` (a 1 MB title must not
    come back in a 1 MB X-OCCI-Error header)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _plain_number(value: int | float) -> str:
    return str(value)
