"""HTTP to OpenStack's public APIs with the caller's own token, and errors made OCCI errors.

One keystoneauth1 Session (connection pool) per process; each request carries an
AccessInfoPlugin built from the caller's validated token, so every call is made as the caller,
never as a service account. Microversions are explicit.
"""

from __future__ import annotations

import contextvars
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, BinaryIO, TypeVar
from urllib.parse import parse_qs, urlsplit

from keystoneauth1 import access, exceptions, session
from keystoneauth1.identity.access import AccessInfoPlugin

from occi_server import errors, telemetry

COMPUTE_VERSION = "compute 2.79"  # 2.47: flavor embedded in servers; 2.79: current attachments
VOLUME_VERSION = "volume 3.60"
RETRY_AFTER = 5
# Ids per filtered call (?port_id=a&port_id=b...): 20 UUIDs make a query of about 900 bytes.
# uWSGI's default 4 KiB buffer holds the query twice (QUERY_STRING, REQUEST_URI) beside the
# headers and the token; past it, uWSGI drops the request and the client sees the connection
# fail (the test bed's Neutron did so at 40 ids with 60 servers).
IDS_PER_CALL = 20
T = TypeVar("T")
# The first path segment that is an OpenStack object id (a UUID, with or without dashes).
_OBJECT_ID = re.compile(
    r"^(.*?/[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})(?:/|$)"
)

_STATUS_ERRORS: dict[int, type[errors.OcciError]] = {
    400: errors.BadRequest,
    403: errors.Forbidden,
    404: errors.NotFound,
    405: errors.BadRequest,
    409: errors.Conflict,
    413: errors.Forbidden,  # over quota (Cinder): 403, as Nova and the embedded cloud say it
    412: errors.PreconditionFailed,
}


class OpenStackApi:
    """The caller's view of the cloud: get/post/put/delete per service type."""

    def __init__(
        self,
        http: session.Session,
        info: access.AccessInfo,
        pool: ThreadPoolExecutor,
        region: str | None = None,
        interface: str = "public",
    ) -> None:
        self._http = http
        self._auth = AccessInfoPlugin(info)
        self.pool = pool
        self._region = region
        self._interface = interface
        self.project_id = str(info.project_id)

    def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """JSON body of the answer (None when empty); OpenStack errors become OCCI errors."""
        sent = {**_version_header(service), **(headers or {})}
        request_id = telemetry.request_id()
        if request_id is not None:  # so one request can be followed through Nova's logs
            sent["X-OpenStack-Request-Id"] = request_id
        started = time.perf_counter()
        failed = True
        try:
            response = self._send(service, method, path, json, params, data, sent)
            failed = response.status_code >= 500
        finally:
            telemetry.backend_call(service, time.perf_counter() - started, failed)
        if response.status_code == 403 and self._foreign(service, method, path):
            raise errors.NotFound(f"OpenStack {service}: no such object")
        if response.status_code >= 400:
            raise translate(service, response.status_code, _message(response))
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return None

    def transfer(
        self,
        service: str,
        method: str,
        path: str,
        *,
        body: BinaryIO | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """Bytes both ways without holding them: `body` (a file) is sent as it is read, and
        the answer (a requests Response, streamed: the caller closes it) is returned unread.
        OpenStack errors become OCCI errors, as `call`'s do."""
        sent = {**_version_header(service), **(headers or {})}
        request_id = telemetry.request_id()
        if request_id is not None:
            sent["X-OpenStack-Request-Id"] = request_id
        started = time.perf_counter()
        failed = True
        try:
            response = self._send(service, method, path, None, None, body, sent, stream=True)
            failed = response.status_code >= 500
        finally:
            telemetry.backend_call(service, time.perf_counter() - started, failed)
        if response.status_code >= 400:
            message = _message(response)  # an error's body is small
            response.close()
            raise translate(service, response.status_code, message)
        return response

    def _send(
        self,
        service: str,
        method: str,
        path: str,
        json: Any,
        params: dict[str, Any] | None,
        data: bytes | BinaryIO | None,
        sent: dict[str, str],
        *,
        stream: bool = False,
    ) -> Any:
        """The HTTP exchange; no answer at all is an OCCI error (503)."""
        try:
            response = self._http.request(
                path,
                method,
                auth=self._auth,
                endpoint_filter={
                    "service_type": service,
                    "interface": self._interface,
                    "region_name": self._region,
                },
                json=json,
                params=params,
                data=data,
                headers=sent,
                raise_exc=False,
                connect_retries=0,
                stream=stream,
            )
        except exceptions.EndpointNotFound as error:
            raise errors.ServiceUnavailable(
                f"the cloud has no {service} endpoint for this project", RETRY_AFTER
            ) from error
        except (exceptions.ConnectionError, exceptions.DiscoveryFailure) as error:
            raise errors.ServiceUnavailable(
                f"OpenStack {service} is unreachable ({type(error).__name__}); retry later",
                RETRY_AFTER,
            ) from error
        return response

    def _foreign(self, service: str, method: str, path: str) -> bool:
        """A 403 about an object the caller cannot see: another project's (so answer 404).

        Some Nova/Neutron policies refuse another project's object with 403 where most answer
        404; either way a tenant must not learn that the object exists. A 403 about the
        caller's own object (a real policy refusal) stays 403: the object is probed with the
        caller's token, only on this error path.
        """
        found = _OBJECT_ID.match(path)
        if found is None:
            return False  # a collection: the refusal is about the caller, not an object
        owner = found.group(1)
        if method == "GET" and owner == path:
            return True  # the refused read was the probe itself
        try:
            self.call(service, "GET", owner)
        except (errors.NotFound, errors.Forbidden):
            return True
        except errors.OcciError:
            return False
        return False

    def get(self, service: str, path: str, **params: Any) -> Any:
        return self.call(service, "GET", path, params={k: v for k, v in params.items() if v})

    def pages(
        self, service: str, path: str, key: str, **params: Any
    ) -> Iterator[list[dict[str, Any]]]:
        """A listing page by page, following the service's next links to the end.

        Nova, Cinder and Neutron name the next page in `<key>_links`, Glance in `next`; each
        service caps a page at its own limit (Nova max_limit, Cinder osapi_max_limit, Glance
        api_limit_max, Neutron pagination_max_limit) whatever `limit` asks. Only the marker is
        taken from the link: the link's host is the service's idea of itself, not the catalogue.
        A caller that stops iterating fetches no further page."""
        query = {k: v for k, v in params.items() if v is not None and v != ""}
        seen: set[str] = set()
        while True:
            body = self.call(service, "GET", path, params=query) or {}
            items = list(body.get(key) or [])
            yield items
            marker = _next_marker(body, key)
            if not items or marker is None or marker in seen:
                return
            seen.add(marker)
            query = {**query, "marker": marker}

    def every(self, service: str, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a listing (all its pages)."""
        return [item for page in self.pages(service, path, key, **params) for item in page]

    def list_by(
        self, service: str, path: str, key: str, field: str, ids: Iterable[str], **params: Any
    ) -> list[dict[str, Any]]:
        """The items whose `field` is one of `ids` (a Neutron list filter), in calls of at most
        IDS_PER_CALL ids run concurrently; no call at all for no ids."""
        wanted = sorted(set(ids))
        chunks = [wanted[i : i + IDS_PER_CALL] for i in range(0, len(wanted), IDS_PER_CALL)]
        found = self.together(
            *(
                lambda chunk=chunk: self.every(service, path, key, **{field: chunk}, **params)
                for chunk in chunks
            )
        )
        return [item for batch in found for item in batch]

    def post(self, service: str, path: str, body: Any) -> Any:
        return self.call(service, "POST", path, json=body)

    def put(self, service: str, path: str, body: Any) -> Any:
        return self.call(service, "PUT", path, json=body)

    def delete(self, service: str, path: str) -> None:
        self.call(service, "DELETE", path)

    def together(self, *calls: Callable[[], T]) -> list[T]:
        """Run independent calls concurrently; the first error wins."""
        if not calls:
            return []
        if len(calls) == 1:
            return [calls[0]()]
        # Each in a copy of this context: the calls carry the request's id too.
        futures = [self.pool.submit(contextvars.copy_context().run, c) for c in calls]
        return [f.result() for f in futures]


def _next_marker(body: dict[str, Any], key: str) -> str | None:
    """The marker of the next page named in a listing's answer, if there is one."""
    href = body.get("next") if isinstance(body.get("next"), str) else None  # Glance
    for link in body.get(f"{key}_links") or []:
        if isinstance(link, dict) and link.get("rel") == "next":
            href = str(link.get("href") or "")
    if not href:
        return None
    markers = parse_qs(urlsplit(href).query).get("marker")
    return markers[0] if markers else None


def translate(service: str, status: int, message: str) -> errors.OcciError:
    """OpenStack's status and message as the right OCCI error."""
    text = f"OpenStack {service}: {message}" if message else f"OpenStack {service}: HTTP {status}"
    if status == 401:
        return errors.Unauthorized(text)
    if status in (429, 502, 503, 504) or status >= 500:
        return errors.ServiceUnavailable(text, RETRY_AFTER)
    return _STATUS_ERRORS.get(status, errors.BadRequest)(text)


def _version_header(service: str) -> dict[str, str]:
    if service == "compute":
        return {"OpenStack-API-Version": COMPUTE_VERSION}
    if service in ("volumev3", "block-storage"):
        return {"OpenStack-API-Version": VOLUME_VERSION}
    return {}


def _message(response: Any) -> str:
    """OpenStack's human message from its many error shapes."""
    try:
        body = response.json()
    except ValueError:
        return str(response.text or "").strip()[:300]
    return _find_message(body)[:300]


def _find_message(body: Any) -> str:
    if isinstance(body, dict):
        for key in (
            "message",
            "NeutronError",
            "badRequest",
            "itemNotFound",
            "conflictingRequest",
            "forbidden",
            "overLimit",
            "computeFault",
            "error",
        ):
            if key in body:
                found = body[key]
                return found if isinstance(found, str) else _find_message(found)
        for value in body.values():
            if isinstance(value, dict | str):
                return _find_message(value)
    if isinstance(body, str):
        return body
    return ""


def first(items: Sequence[T]) -> T | None:
    return items[0] if items else None
