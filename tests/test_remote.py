"""remote.py: which URLs the operator's prefixes allow, and one fetch against a real HTTP server
on 127.0.0.1 (tests/support/origin.py): the bytes into a file, or a FetchError and no file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from occi_server.config import ConfigError, RemoteConfig, load_config
from occi_server.remote import Fetcher, FetchError, check_prefix
from tests.support.origin import Blob, Origin


def _fetcher(*allowed: str, **limits: float) -> Fetcher:
    return Fetcher(RemoteConfig(allowed=list(allowed), **limits))


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://cdmi.example.org/cdmi/shared/disk.img", True),
        ("https://cdmi.example.org:443/cdmi/shared/a/b", True),
        ("https://CDMI.example.org/cdmi/shared/x", True),  # host names are case-insensitive
        ("https://cdmi.example.org/cdmi/shared", True),  # the prefix's own path
        ("http://cdmi.example.org/cdmi/shared/disk.img", False),  # another scheme
        ("https://cdmi.example.org:8443/cdmi/shared/disk.img", False),  # another port
        ("https://cdmi.example.org/cdmi/sharedx/disk.img", False),  # not a whole segment
        ("https://cdmi.example.org/cdmi/shared/../private", False),  # a dot segment
        ("https://cdmi.example.org/cdmi/shared/%2e%2e/private", False),  # encoded, too
        ("https://u:p@cdmi.example.org/cdmi/shared/x", False),  # credentials
        ("https://cdmi.example.org.evil.net/cdmi/shared/x", False),
        ("ftp://cdmi.example.org/cdmi/shared/x", False),
    ],
)
def test_a_prefix_allows_its_scheme_host_port_and_path_only(url: str, allowed: bool) -> None:
    fetcher = _fetcher("https://cdmi.example.org/cdmi/shared/")
    assert (fetcher.refusal(url) is None) == allowed


def test_nothing_is_allowed_by_default() -> None:
    refused = _fetcher().refusal("https://cdmi.example.org/x")
    assert refused is not None and "no other server" in refused


@pytest.mark.parametrize(
    "prefix", ["cdmi.example.org/x", "ftp://h/x", "https:///x", "https://u@h/x", "https://h/x?q=1"]
)
def test_a_bad_prefix_stops_the_server_at_start_naming_the_key(prefix: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        check_prefix(prefix)
    config = tmp_path / "occi.toml"
    config.write_text(f'[remote]\nallowed = ["{prefix}"]\n')
    with pytest.raises(ConfigError, match=r"remote\.allowed"):
        load_config(str(config), environ={})


def test_a_fetch_writes_the_bytes_or_fails_leaving_no_file(origin: Origin, tmp_path: Path) -> None:
    origin.objects["/remote/ok"] = Blob(b"x" * 5000)
    origin.objects["/remote/gz"] = Blob(b"\x1f\x8b", headers={"Content-Encoding": "gzip"})
    origin.objects["/remote/moved"] = Blob(status=301, headers={"Location": "/remote/ok"})
    fetcher = _fetcher(origin.url("/remote/"), max_bytes=4096 + 1000)
    assert fetcher.fetch(origin.url("/remote/ok"), tmp_path / "ok") == 5000
    assert (tmp_path / "ok").read_bytes() == b"x" * 5000
    for name, reason in [
        ("gz", "Content-Encoding gzip"),
        ("moved", "a redirect (to /remote/ok), not followed"),
        ("missing", "answered HTTP 404"),
    ]:
        with pytest.raises(FetchError, match=re.escape(reason)):
            fetcher.fetch(origin.url(f"/remote/{name}"), tmp_path / name)
        assert not (tmp_path / name).exists()
    with pytest.raises(FetchError, match="more than the 4000 bytes"):
        fetcher.fetch(origin.url("/remote/ok"), tmp_path / "capped", limit=4000)
    assert not (tmp_path / "capped").exists()
    with pytest.raises(FetchError, match=r"no other server|not under a prefix"):
        fetcher.fetch(origin.url("/elsewhere/ok"), tmp_path / "refused")
