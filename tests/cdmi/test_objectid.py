"""Object IDs as CDMI defines them: the specification's own example IDs validate."""

from __future__ import annotations

from occi_server.cdmi import objectid

# From the CDMI 2.0 overview ("CDMI object IDs"): enterprise number 0x006FFD, 16 bytes long.
SPEC_EXAMPLES = ("00006FFD001001CCE3B2B4F602032653", "00006FFD0010AA33D8CEF9711E0835CA")


def test_the_crc_is_crc16_arc_with_the_check_value_the_spec_gives() -> None:
    assert objectid.crc16(b"123456789") == 0xBB3D


def test_the_specifications_example_ids_are_valid() -> None:
    for example in SPEC_EXAMPLES:
        assert objectid.is_valid(example, 0x6FFD)
        assert objectid.is_valid(example.lower(), 0x6FFD)  # Base16 is case-insensitive


def test_an_id_made_here_has_its_layout_and_validates() -> None:
    made = objectid.make(32473, bytes(range(16)))
    raw = bytes.fromhex(made)
    assert raw[0] == 0 and raw[4] == 0
    assert int.from_bytes(raw[1:4], "big") == 32473
    assert raw[5] == len(raw) == 24
    assert objectid.is_valid(made, 32473)


def test_a_changed_byte_another_enterprise_or_a_wrong_length_is_refused() -> None:
    made = objectid.make(32473, b"\x01" * 16)
    flipped = made[:-2] + ("00" if made[-2:] != "00" else "01")
    assert not objectid.is_valid(flipped, 32473)
    assert not objectid.is_valid(made, 32474)
    assert not objectid.is_valid(made + "00", 32473)
    assert not objectid.is_valid("not hex", 32473)


def test_ids_differ_between_projects_and_stay_the_same_for_one_object() -> None:
    one = objectid.for_object(32473, "p1", "volumes", "v")
    assert one == objectid.for_object(32473, "p1", "volumes", "v")
    assert one != objectid.for_object(32473, "p2", "volumes", "v")
