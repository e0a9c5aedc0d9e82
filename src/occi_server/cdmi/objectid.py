"""CDMI object IDs (CDMI 1.1.1 §5.10, 2.0 "CDMI object ID format"): byte 0 reserved (zero),
bytes 1-3 the SNMP enterprise number of whoever made the system, byte 4 reserved, byte 5 the
ID's full length, bytes 6-7 a CRC-16 over the whole ID (CRC field zeroed), then up to 32 bytes
of opaque data; Base16 in URIs and JSON, case-insensitive.

Our opaque data is a digest of what the ID names (project, kind of object, name): stable for the
object's life without a table, unique per project, and never the same for two tenants."""

from __future__ import annotations

import hashlib

# IANA's enterprise number for documentation (RFC 5612): this project has none of its own, so
# an operator with one configures it ([cdmi] enterprise_number).
DOCUMENTATION_ENTERPRISE = 32473
OPAQUE_BYTES = 16
LENGTH = 8 + OPAQUE_BYTES


def crc16(data: bytes) -> int:
    """CRC-16/ARC: polynomial 0x8005 reflected (0xA001), init 0, no final XOR (check 0xBB3D)."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def make(enterprise: int, opaque: bytes) -> str:
    """The textual object ID for `opaque` (1 to 32 bytes) under `enterprise`."""
    if not 0 < enterprise < 1 << 24:
        raise ValueError(f"enterprise number {enterprise} does not fit the 3 bytes of an ID")
    if not 0 < len(opaque) <= 32:
        raise ValueError("an object ID holds 1 to 32 bytes of opaque data")
    head = bytes([0]) + enterprise.to_bytes(3, "big") + bytes([0, 8 + len(opaque), 0, 0])
    crc = crc16(head + opaque)
    return (head[:6] + crc.to_bytes(2, "big") + opaque).hex().upper()


def is_valid(text: str, enterprise: int) -> bool:
    """Whether `text` is a well-formed ID of this system (length, reserved bytes, CRC)."""
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        return False
    if not 9 <= len(raw) <= 40 or raw[5] != len(raw) or raw[0] or raw[4]:
        return False
    if int.from_bytes(raw[1:4], "big") != enterprise:
        return False
    return crc16(raw[:6] + b"\0\0" + raw[8:]) == int.from_bytes(raw[6:8], "big")


def for_object(enterprise: int, project: str, what: str, name: str) -> str:
    """The ID of the object `name` of kind `what` (volume, image, snapshot, container)."""
    digest = hashlib.sha256("\0".join((project, what, name)).encode()).digest()
    return make(enterprise, digest[:OPAQUE_BYTES])
