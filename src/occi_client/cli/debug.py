"""--debug: every request and answer on stderr, credentials masked."""

from __future__ import annotations

import sys

import httpx

_SECRET = {"x-auth-token", "authorization", "x-subject-token"}


def _headers(headers: httpx.Headers, mark: str) -> None:
    for name, value in headers.multi_items():
        shown = "***" if name.lower() in _SECRET else value
        sys.stderr.write(f"{mark} {name}: {shown}\n")


def _request(request: httpx.Request) -> None:
    sys.stderr.write(f"> {request.method} {request.url}\n")
    _headers(request.headers, ">")
    body = request.content
    if body and b"password" not in body and b"secret" not in body:
        sys.stderr.write(body.decode(errors="replace").rstrip() + "\n")


def _response(response: httpx.Response) -> None:
    sys.stderr.write(f"< {response.status_code} {response.reason_phrase}\n")
    _headers(response.headers, "<")


def install(client: httpx.Client) -> None:
    client.event_hooks = {"request": [_request], "response": [_response]}
