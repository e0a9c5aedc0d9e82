"""A fake OpenStack at the HTTP boundary: a requests transport adapter under keystoneauth.

The real OpenStackApi, keystoneauth1 Session and requests run unchanged; only the bytes on the
wire come from here. Routes map (method, URL path) to a status and a JSON body, or to an
exception that requests would raise (refused connection, read timeout).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from keystoneauth1 import access
from keystoneauth1 import session as ks_session
from requests.adapters import BaseAdapter

from occi_server.backends.openstack.client import OpenStackApi

PROJECT = "0f3b4c1e2d5a4b6c8d9e0f1a2b3c4d5e"
ENDPOINTS = {
    "compute": "http://nova.test/v2.1",
    "network": "http://neutron.test",
    "volumev3": "http://cinder.test/v3/" + PROJECT,
    "image": "http://glance.test",
}
# A route answers with (status, body), raises, or computes (status, body) from the query.
Query = dict[str, list[str]]
Route = tuple[int, Any] | BaseException | Callable[[Query], tuple[int, Any]]


class FakeCloud(BaseAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.routes: dict[tuple[str, str], list[Route]] = {}
        self.sent: list[requests.PreparedRequest] = []

    def on(self, method: str, url: str, *answers: Route) -> None:
        """Answer `method url` with these, in turn (the last one repeats)."""
        self.routes[(method, url)] = list(answers)

    def send(self, request: requests.PreparedRequest, **_: Any) -> requests.Response:  # type: ignore[override]
        self.sent.append(request)
        url = str(request.url).split("?", 1)[0]
        answers = self.routes.get((str(request.method), url))
        if not answers:
            return _response(request, 404, {"itemNotFound": {"message": f"no route {url}"}})
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer):
            return _response(request, *answer(parse_qs(urlsplit(str(request.url)).query)))
        return _response(request, *answer)

    def close(self) -> None:
        pass


def paged(key: str, items: list[dict[str, Any]], size: int, style: str = "links") -> Route:
    """A listing that pages as the services do: at most `size` items (or fewer when `limit`
    asks), after `marker`; the next page named in `<key>_links` (Nova, Cinder, Neutron) or in
    `next` (Glance, style="next")."""

    def answer(query: Query) -> tuple[int, Any]:
        limit = min(size, int(query.get("limit", [size])[0]))
        start = 0
        if "marker" in query:
            start = 1 + next(i for i, x in enumerate(items) if x["id"] == query["marker"][0])
        page = items[start : start + limit]
        body: dict[str, Any] = {key: page}
        if start + limit < len(items):
            href = f"http://elsewhere.example/{key}?limit={limit}&marker={page[-1]['id']}"
            if style == "next":
                body["next"] = href.split("example", 1)[1]
            else:
                body[f"{key}_links"] = [{"rel": "next", "href": href}]
        return 200, body

    return answer


def _response(request: requests.PreparedRequest, status: int, body: Any) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.request = request
    response.url = str(request.url)
    response._content = b"" if body is None else json.dumps(body).encode()
    response.headers["Content-Type"] = "application/json"
    return response


def token_info() -> access.AccessInfo:
    """A validated v3 token of project PROJECT with the fake cloud's catalogue."""
    catalog = [
        {
            "type": service,
            "name": service,
            "endpoints": [{"interface": "public", "region": "RegionOne", "url": url}],
        }
        for service, url in ENDPOINTS.items()
    ]
    body = {
        "token": {
            "methods": ["password"],
            "expires_at": "2999-01-01T00:00:00.000000Z",
            "project": {"id": PROJECT, "name": "demo", "domain": {"id": "default"}},
            "user": {"id": "u1", "name": "alice", "domain": {"id": "default"}},
            "roles": [{"id": "r1", "name": "member"}],
            "catalog": catalog,
        }
    }
    return access.create(body=body, auth_token="tok")


def fake_api(cloud: FakeCloud) -> OpenStackApi:
    transport = requests.Session()
    transport.mount("http://", cloud)
    http = ks_session.Session(session=transport, timeout=2)
    return OpenStackApi(http, token_info(), ThreadPoolExecutor(max_workers=4), "RegionOne")
