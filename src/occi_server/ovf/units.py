"""Allocation units of OVF quantities (DSP0243 §8.2: DSP0004 programmatic units).

`byte * 2^20`, `byte*10^6`, `bytes`, and the names VirtualBox and older tools write
(`MegaBytes`, `KB`, `GB`). A unit this module does not know is an error naming it, never a
guess: a wrong factor of 1024 would give a guest a thousandth of its memory.
"""

from __future__ import annotations

import re

from occi_server.ovf.errors import EnvelopeError

_PROGRAMMATIC = re.compile(r"\s*bytes?\s*(?:\*\s*(\d{1,2})\s*\^\s*(-?\d{1,3})\s*)?", re.IGNORECASE)
# Names seen in the wild; VirtualBox's MegaBytes are MiB (it writes 512 for 512 MiB).
_NAMED = {
    "kilobytes": 1 << 10,
    "kb": 1 << 10,
    "kib": 1 << 10,
    "megabytes": 1 << 20,
    "mb": 1 << 20,
    "mib": 1 << 20,
    "gigabytes": 1 << 30,
    "gb": 1 << 30,
    "gib": 1 << 30,
    "terabytes": 1 << 40,
    "tb": 1 << 40,
    "tib": 1 << 40,
}


def factor(units: str | None, default: int, what: str) -> int:
    """Bytes per unit of `units` (`default` when absent)."""
    if units is None or not units.strip():
        return default
    named = _NAMED.get(units.strip().lower())
    if named is not None:
        return named
    match = _PROGRAMMATIC.fullmatch(units)
    if match is None:
        raise EnvelopeError(f"{what}: allocation units {units[:60]!r} are not a byte unit")
    base, exponent = match.group(1), match.group(2)
    if base is None:
        return 1
    value = int(base) ** int(exponent)
    if not isinstance(value, int) or value < 1:
        raise EnvelopeError(f"{what}: allocation units {units[:60]!r} are below one byte")
    return value


def quantity(text: str | None, units: str | None, default: int, what: str) -> int:
    """`text` (an integer) times the unit, in bytes."""
    if text is None or not text.strip():
        raise EnvelopeError(f"{what}: no quantity given")
    value = text.strip()
    if value.startswith("${"):
        raise EnvelopeError(
            f"{what}: {value[:60]} refers to a property; sizes set by properties are not supported"
        )
    if not value.isdigit() or len(value) > 20:
        raise EnvelopeError(f"{what}: {value[:60]!r} is not a whole number")
    return int(value) * factor(units, default, what)
