"""Locations arrive as paths or absolute URLs; local ones become paths."""

from __future__ import annotations

import pytest

from occi_server.errors import BadRequest
from occi_server.service.urls import to_path

BASE = "http://127.0.0.1:8787"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/compute/1", "/compute/1"),
        ("http://127.0.0.1:8787/compute/1", "/compute/1"),
        ("http://localhost:8787/compute/1", "/compute/1"),
        ("https://elsewhere.example.com/storage/9", "https://elsewhere.example.com/storage/9"),
        ("http://localhost:9000/compute/1", "/compute/1"),  # the seed's lines, any port
    ],
)
def test_local_urls_become_paths_and_foreign_ones_stay(given: str, expected: str) -> None:
    assert to_path(given, BASE) == expected


def test_a_base_path_is_stripped() -> None:
    assert to_path(
        "https://cloud.example.com/occi/compute/1", "https://cloud.example.com/occi"
    ) == ("/compute/1")


@pytest.mark.parametrize("given", ["", "compute/1", "/a/../b", "/a b", "/a//b"])
def test_malformed_locations_are_400(given: str) -> None:
    with pytest.raises(BadRequest):
        to_path(given, BASE, what="X-OCCI-Location")


def test_with_same_port_another_port_of_this_host_is_another_server() -> None:
    # An OVF disk's href there is a CDMI server to import from.
    other = "http://127.0.0.1:9000/cdmi/shared/disk.img"
    assert to_path(other, BASE, same_port=True) == other
    assert to_path("http://127.0.0.1:8787/cdmi/x", BASE, same_port=True) == "/cdmi/x"
