"""Byte ranges of RFC 7233 as CDMI uses them: `Range` on reads (one range; CDMI servers need
not combine several), `Content-Range` on partial writes, `?value:<a>-<b>` in CDMI reads."""

from __future__ import annotations

import re
from dataclasses import dataclass

_RANGE = re.compile(r"bytes=(\d{0,19})-(\d{0,19})")
_CONTENT_RANGE = re.compile(r"bytes (\d{1,19})-(\d{1,19})/(\d{1,19}|\*)")


class RangeError(ValueError):
    """A range that cannot be served (416) or parsed (400): the message names it."""

    def __init__(self, message: str, unsatisfiable: bool = False) -> None:
        super().__init__(message)
        self.unsatisfiable = unsatisfiable


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int  # inclusive, as HTTP writes it

    @property
    def length(self) -> int:
        return self.end - self.start + 1


def requested(header: str, size: int) -> Span:
    """The one range a `Range` header asks for within an object of `size` bytes."""
    value = header.strip()
    if "," in value:
        raise RangeError("Range: only one byte range per request is served")
    found = _RANGE.fullmatch(value)
    if found is None or found.group(1) == found.group(2) == "":
        raise RangeError(f"Range: {value!r} is not 'bytes=<first>-<last>'")
    first, last = found.groups()
    if first == "":  # a suffix: the last N bytes
        count = int(last)
        if count == 0 or size == 0:
            raise RangeError(f"Range: {value} selects nothing", unsatisfiable=True)
        return Span(max(0, size - count), size - 1)
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if last != "" and int(last) < start:
        raise RangeError(f"Range: {value} ends before it starts")
    if start >= size:
        raise RangeError(f"Range: {value} starts past the end ({size} bytes)", unsatisfiable=True)
    return Span(start, end)


def field_range(text: str, size: int) -> Span:
    """`value:<first>-<last>` of a CDMI read (the part after the colon)."""
    return requested("bytes=" + text, size)


@dataclass(frozen=True, slots=True)
class Write:
    start: int
    end: int
    total: int | None  # None: `*`, not known yet

    @property
    def length(self) -> int:
        return self.end - self.start + 1


def content_range(header: str) -> Write:
    """A partial write's `Content-Range: bytes <first>-<last>/<total or *>`."""
    value = header.strip()
    found = _CONTENT_RANGE.fullmatch(value)
    if found is None:
        raise RangeError(f"Content-Range: {value!r} is not 'bytes <first>-<last>/<total>'")
    start, end = int(found.group(1)), int(found.group(2))
    total = None if found.group(3) == "*" else int(found.group(3))
    if end < start:
        raise RangeError(f"Content-Range: {value} ends before it starts")
    if total is not None and end >= total:
        raise RangeError(f"Content-Range: {value} ends past its total")
    return Write(start, end, total)
