"""Building httpx responses the way a server would send them, for the parser tests."""

from __future__ import annotations

from pathlib import Path

import httpx

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def plain(body: str, status: int = 200, url: str = "http://occi.example/x") -> httpx.Response:
    return httpx.Response(
        status,
        content=body.encode(),
        headers={"Content-Type": "text/plain; charset=utf-8"},
        request=httpx.Request("GET", url),
    )


def occi_headers(
    pairs: list[tuple[str, str]], status: int = 200, url: str = "http://occi.example/x"
) -> httpx.Response:
    return httpx.Response(
        status,
        content=b"OK",
        headers=[("Content-Type", "text/occi"), *pairs],
        request=httpx.Request("GET", url),
    )


def as_headers(body: str) -> list[tuple[str, str]]:
    """A text/plain body's lines as text/occi headers (one header per line)."""
    out = []
    for line in body.splitlines():
        name, sep, value = line.partition(":")
        if sep:
            out.append((name.strip(), value.strip()))
    return out


def json_response(body: str | bytes, status: int = 200) -> httpx.Response:
    content = body.encode() if isinstance(body, str) else body
    return httpx.Response(
        status,
        content=content,
        headers={"Content-Type": "application/occi+json"},
        request=httpx.Request("GET", "http://occi.example/x"),
    )
