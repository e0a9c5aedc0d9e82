"""Resumable uploads on disk: found again by name, listed per project, dropped when abandoned."""

from __future__ import annotations

import os
from pathlib import Path

from occi_server.cdmi.uploads import Uploads


def test_an_upload_is_found_by_project_container_and_name_only(tmp_path: Path) -> None:
    uploads = Uploads(tmp_path, expiry=60)
    begun = uploads.begin("p1", "volumes", "v", "text/plain")
    begun.path.write_bytes(b"abc")
    found = uploads.find("p1", "volumes", "v")
    assert found is not None and (found.name, found.size, found.mimetype) == ("v", 3, "text/plain")
    assert uploads.find("p2", "volumes", "v") is None
    assert uploads.find("p1", "images", "v") is None
    assert [p.name for p in uploads.listing("p1", "volumes")] == ["v"]
    assert uploads.listing("p2", "volumes") == []


def test_an_abandoned_upload_is_dropped_after_its_expiry(tmp_path: Path) -> None:
    now = [1_000_000.0]
    uploads = Uploads(tmp_path, expiry=60, clock=lambda: now[0])
    old = uploads.begin("p", "volumes", "old", "a/b")
    os.utime(old.path, (now[0] - 120, now[0] - 120))
    fresh = uploads.begin("p", "volumes", "fresh", "a/b")  # beginning one sweeps the others
    os.utime(fresh.path, (now[0], now[0]))
    assert not old.path.exists() and not old.path.with_suffix(".json").exists()
    assert uploads.find("p", "volumes", "fresh") is not None
    now[0] += 61
    assert uploads.find("p", "volumes", "fresh") is None


def test_a_completed_upload_is_taken_out_of_the_partial_area(tmp_path: Path) -> None:
    uploads = Uploads(tmp_path, expiry=60)
    begun = uploads.begin("p", "volumes", "v", "a/b")
    begun.path.write_bytes(b"done")
    taken = uploads.take(begun)
    assert taken.read_bytes() == b"done"
    assert uploads.find("p", "volumes", "v") is None
