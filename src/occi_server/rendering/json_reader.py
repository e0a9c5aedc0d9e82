"""Reading a JSON request body defensively, and typed access to its members.

`load` accepts only what RFC 8259 allows (strict UTF-8, no NaN/Infinity), refuses duplicate
members, nesting deeper than MAX_DEPTH and more than MAX_VALUES values, and returns plain
dicts/lists. The accessors raise BadRequest naming the offending member as a JSON pointer
(`JSON /links/0/target: ...`), so a client can find its mistake in a large document.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from occi_server.errors import BadRequest
from occi_server.model.category import split_type_id
from occi_server.rendering.text_grammar import TERM
from occi_server.rendering.text_lexer import clip

MAX_DEPTH = 32
MAX_VALUES = 10_000
# \uD800-\uDFFF escapes that do not form a pair decode to lone surrogates: not text.
_SURROGATE = re.compile("[\ud800-\udfff]")
# Never valid in a URI reference (RFC 3986), nor are control characters.
_NOT_URI = re.compile(r'[\s<>"{}|\\^`\x00-\x1f\x7f]')


def fail(pointer: str, problem: str) -> BadRequest:
    return BadRequest(f"JSON {pointer}: {problem}" if pointer else f"JSON: {problem}")


def child(pointer: str, key: str | int) -> str:
    """RFC 6901: `~` and `/` inside a member name are escaped."""
    return f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"


class _Pairs(list[tuple[str, Any]]):
    """What the decoder builds for an object; `_Cleaner` turns it into a dict, spotting
    duplicate names where their JSON pointer is known."""


class _BadNumber(ValueError):
    pass


def _parse_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _BadNumber(f"number out of range {clip(text, 40)!r}")
    return number


def _parse_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:  # more digits than sys.get_int_max_str_digits()
        raise _BadNumber(f"number out of range {clip(text, 40)!r}") from None


def _parse_constant(text: str) -> Any:
    raise _BadNumber(f"{text} is not a JSON value")


def load(body: bytes) -> Any:
    """The JSON value of a request body, or BadRequest."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"JSON: invalid UTF-8 at byte {exc.start}") from None
    try:
        raw = json.loads(
            text.removeprefix("\ufeff"),
            object_pairs_hook=_Pairs,
            parse_float=_parse_float,
            parse_int=_parse_int,
            parse_constant=_parse_constant,
        )
    except _BadNumber as exc:
        raise fail("", str(exc)) from None
    except json.JSONDecodeError as exc:
        raise fail("", f"malformed at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise fail("", f"nested deeper than {MAX_DEPTH} levels") from None
    return _Cleaner().clean(raw, "", 0)


def _text(value: str, pointer: str) -> None:
    if _SURROGATE.search(value):
        raise fail(pointer, "a \\u escape that is a lone surrogate is not text")


class _Cleaner:
    """Turns `_Pairs` into dicts while enforcing the depth and size limits."""

    def __init__(self) -> None:
        self.count = 0

    def clean(self, value: Any, pointer: str, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise fail("", f"more than {MAX_VALUES} values")
        if isinstance(value, list) and not isinstance(value, _Pairs):
            self._deeper(pointer, depth)
            return [self.clean(item, child(pointer, i), depth + 1) for i, item in enumerate(value)]
        if isinstance(value, _Pairs):
            self._deeper(pointer, depth)
            result: dict[str, Any] = {}
            for name, item in value:
                where = child(pointer, name)
                _text(name, pointer)
                if name in result:
                    raise fail(where, "duplicate member")
                result[name] = self.clean(item, where, depth + 1)
            return result
        if isinstance(value, str):
            _text(value, pointer)
        return value

    @staticmethod
    def _deeper(pointer: str, depth: int) -> None:
        if depth >= MAX_DEPTH:
            raise fail(pointer, f"nested deeper than {MAX_DEPTH} levels")


# --- Typed access -----------------------------------------------------------------------------


def as_object(value: Any, pointer: str, problem: str = "must be an object") -> dict[str, Any]:
    if not isinstance(value, dict):
        raise fail(pointer, problem)
    return value


def as_array(value: Any, pointer: str) -> list[Any]:
    if not isinstance(value, list):
        raise fail(pointer, "must be an array")
    return value


def as_string(value: Any, pointer: str) -> str:
    if not isinstance(value, str):
        raise fail(pointer, "must be a string")
    return value


def check_members(obj: dict[str, Any], allowed: frozenset[str], pointer: str) -> None:
    """Unknown members are refused: a misspelt `attributs` must not silently drop values."""
    for name in obj:
        if name not in allowed:
            raise fail(child(pointer, name), "unknown member")


def optional_string(obj: dict[str, Any], name: str, pointer: str) -> str | None:
    if name not in obj:
        return None
    return as_string(obj[name], child(pointer, name))


def required_string(obj: dict[str, Any], name: str, pointer: str) -> str:
    if name not in obj:
        raise fail(child(pointer, name), "is required")
    return as_string(obj[name], child(pointer, name))


def optional_bool(obj: dict[str, Any], name: str, pointer: str, default: bool) -> bool:
    if name not in obj:
        return default
    value = obj[name]
    if not isinstance(value, bool):
        raise fail(child(pointer, name), "must be true or false")
    return value


def string_list(obj: dict[str, Any], name: str, pointer: str) -> list[str]:
    """An optional array of strings (mixins, actions, depends, ...)."""
    if name not in obj:
        return []
    where = child(pointer, name)
    return [as_string(item, child(where, i)) for i, item in enumerate(as_array(obj[name], where))]


def location(value: Any, pointer: str) -> str:
    """A path or absolute URL, as the text renderings accept in X-OCCI-Location."""
    text = as_string(value, pointer)
    if not text or _NOT_URI.search(text):
        raise fail(pointer, f"bad location {clip(text, 60)!r}")
    return text


def type_identifier(value: Any, pointer: str) -> tuple[str, str]:
    """`scheme#term` -> (scheme with its '#', term); OCCI schemes end with '#' (occi-spec §1.1),
    other schemes (user mixins) are split after their last '/' as the model does."""
    text = as_string(value, pointer)
    scheme, term = split_type_id(text)
    if not scheme or not TERM.fullmatch(term) or _NOT_URI.search(text):
        raise fail(pointer, f"must be a type identifier 'scheme#term', got {clip(text, 60)!r}")
    return scheme, term


def term(value: Any, pointer: str) -> str:
    text = as_string(value, pointer)
    if not TERM.fullmatch(text):
        raise fail(pointer, f"bad term {clip(text, 40)!r}")
    return text


def uri(value: Any, pointer: str) -> str:
    text = as_string(value, pointer)
    if not text or _NOT_URI.search(text):
        raise fail(pointer, f"bad URI {clip(text, 60)!r}")
    return text
