"""Errors: every failure a server reports carries its status and its one-line message."""

from __future__ import annotations

import json

import httpx


class OCCIClientError(Exception):
    """Base of everything this package raises."""


class OCCIError(OCCIClientError):
    """The server answered with an error status."""

    def __init__(self, status: int, message: str, method: str = "", url: str = "") -> None:
        self.status = status
        self.message = message
        self.method = method
        self.url = url
        where = f" ({method} {url})" if method else ""
        super().__init__(f"{status} {message}{where}")


class BadRequest(OCCIError):
    """400."""


class Unauthorized(OCCIError):
    """401: missing or wrong credentials."""


class Forbidden(OCCIError):
    """403."""


class NotFound(OCCIError):
    """404."""


class Conflict(OCCIError):
    """409: a state or a name conflict."""


class ServerError(OCCIError):
    """5xx."""


class ProtocolError(OCCIClientError):
    """The server's answer is not an OCCI rendering we can read."""


class WaitTimeout(OCCIClientError):
    """--wait: the entity did not reach the state in time."""


_BY_STATUS: dict[int, type[OCCIError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
}


def message_of(response: httpx.Response) -> str:
    """The server's message: X-OCCI-Error, JSON `message`/`error`, the body's first line, or
    the reason phrase."""
    header = response.headers.get("x-occi-error")
    if header:
        return str(header)
    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    text = response.text.strip()
    if media.endswith("json") and text:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError:
            doc = None
        if isinstance(doc, dict):
            for key in ("message", "error", "description", "title"):
                value = doc.get(key)
                if isinstance(value, str) and value:
                    return value
                if isinstance(value, dict) and isinstance(value.get("message"), str):
                    return str(value["message"])  # Keystone's {"error": {"message": ...}}
    if text and media.startswith("text/") and media != "text/html" and text != "OK":
        return text.splitlines()[0][:500]
    return response.reason_phrase or "error"


def raise_for(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    status = response.status_code
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else OCCIError)
    raise cls(status, message_of(response), response.request.method, str(response.request.url))
