"""One exception hierarchy for everything below http/; http/ turns it into a response.

Each subclass carries its HTTP status so the translation happens in exactly one place.
"""

from __future__ import annotations

import re

# Line breaks and tabs become spaces; other control characters (a NUL in a path, say) are
# shown as \xNN. The message travels in a header (X-OCCI-Error), where a control character or
# trailing white space is illegal: the HTTP server would drop the connection instead.
_BREAKS = re.compile(r"[\t\r\n]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Messages quote what the client sent, clipped where they are made; this is the backstop, so
# that no input, however large, comes back in a header of the same size.
MESSAGE_LIMIT = 500


class OcciError(Exception):
    """A client-visible failure with a one-line message."""

    status: int = 500

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        shown = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", _BREAKS.sub(" ", message))
        shown = shown.strip(" ") or type(self).__name__
        self.message = shown if len(shown) <= MESSAGE_LIMIT else shown[: MESSAGE_LIMIT - 3] + "..."
        self.headers = headers or {}


class BadRequest(OcciError):
    status = 400


class Unauthorized(OcciError):
    status = 401


class Forbidden(OcciError):
    status = 403


class NotFound(OcciError):
    status = 404


class MethodNotAllowed(OcciError):
    status = 405

    def __init__(self, message: str, allow: list[str]) -> None:
        super().__init__(message, headers={"Allow": ", ".join(allow)})
        self.allow = allow


class NotAcceptable(OcciError):
    status = 406


class Conflict(OcciError):
    status = 409


class PreconditionFailed(OcciError):
    status = 412


class PayloadTooLarge(OcciError):
    status = 413


class UnsupportedMediaType(OcciError):
    status = 415


class TooManyRequests(OcciError):
    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after))})


class HeadersTooLarge(OcciError):
    status = 431


class NotImplementedByServer(OcciError):
    status = 501


class BadGateway(OcciError):
    """The cloud accepted the work and then failed it (a volume driver that could not copy)."""

    status = 502


class ServiceUnavailable(OcciError):
    status = 503

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})
