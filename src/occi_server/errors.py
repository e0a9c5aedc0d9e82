"""One exception hierarchy for everything below http/; http/ turns it into a response.

Each subclass carries its HTTP status so the translation happens in exactly one place.
"""

from __future__ import annotations


class OcciError(Exception):
    """A client-visible failure with a one-line message."""

    status: int = 500

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message.replace("\r", " ").replace("\n", " ")
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


class HeadersTooLarge(OcciError):
    status = 431


class NotImplementedByServer(OcciError):
    status = 501


class ServiceUnavailable(OcciError):
    status = 503

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})
