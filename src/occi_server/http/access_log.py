"""One line per request on standard error, as text or JSON, and the request id it carries.

A line holds the method, the path (never the query string or a header), the status, the bytes
of the answer's body, the duration, the project and user once authenticated, the client's
address and the request id: nothing a caller sent as a secret (tokens, passwords, user_data)
can reach it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from typing import Any

ACCESS = logging.getLogger("occi_server.access")
# A request id a client may choose: short and plain, so it is safe in logs and headers.
_CLIENT_ID = re.compile(rb"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def request_id(headers: list[tuple[bytes, bytes]]) -> str:
    """The client's X-OpenStack-Request-Id or X-Request-Id when well-formed, else a new one
    in OpenStack's own form (req-<uuid>), which Nova records as the global request id."""
    for name, value in headers:
        if name in (b"x-openstack-request-id", b"x-request-id") and _CLIENT_ID.fullmatch(value):
            return value.decode("ascii")
    return f"req-{uuid.uuid4()}"


class JsonFormatter(logging.Formatter):
    """Every record as one JSON object; access lines carry their fields as keys."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        fields = getattr(record, "access", None)
        if fields is not None:
            line.update(fields)
        else:
            line["message"] = record.getMessage()
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure(log_format: str) -> None:
    """The process's logging: occi_server's records on standard error, in `log_format`.

    Called by the CLI and again in every worker process (they start with no handlers).
    """
    root = logging.getLogger("occi_server")
    if getattr(root, "_occi_configured", None) == log_format:
        return
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        formatter: logging.Formatter = JsonFormatter()
    else:
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    root.handlers = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False
    root._occi_configured = log_format  # type: ignore[attr-defined]
    logging.getLogger("alembic").setLevel(logging.WARNING)


def emit(
    method: str,
    path: str,
    status: int,
    size: int,
    seconds: float,
    project: str,
    user: str,
    client: str,
    rid: str,
) -> None:
    """Log one answered request (a text line; the JSON formatter uses the fields)."""
    if not ACCESS.isEnabledFor(logging.INFO):
        return
    fields = {
        "method": method,
        "path": path,
        "status": status,
        "bytes": size,
        "duration_ms": round(seconds * 1000, 3),
        "project": project,
        "user": user,
        "client": client,
        "request_id": rid,
    }
    ACCESS.info(
        '%s "%s %s" %d %d %.1fms project=%s user=%s request_id=%s',
        client,
        method,
        _printable(path),
        status,
        size,
        seconds * 1000,
        project,
        user,
        rid,
        extra={"access": fields},
    )


def _printable(path: str) -> str:
    """No line breaks or quotes from a path into a text line (JSON escapes them itself)."""
    if path.isprintable() and '"' not in path:
        return path
    return path.encode("unicode_escape").decode("ascii").replace('"', '\\"')
