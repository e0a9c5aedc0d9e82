"""The shape of the request path, guarded: one negotiation, the body parsed before any
transaction, the route table answering 405s, If-Match on every write. The ASGI app runs in
process on the in-memory backend (tests/support/memory_backend.py)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from occi_server.config import Config
from occi_server.http.app import OcciApp
from occi_server.http.targets import ROUTES
from occi_server.identity.auth import NoAuth
from occi_server.rendering import negotiate
from tests.support import in_process
from tests.support.memory_backend import MemoryBackend
from tests.support.occi_client import COMPUTE_KIND

PLAIN = {"Accept": "text/plain", "Content-Type": "text/plain"}


@pytest.fixture
def backend() -> MemoryBackend:
    return MemoryBackend()


@pytest.fixture
def http(backend: MemoryBackend) -> Iterator[httpx.Client]:
    with in_process.client(OcciApp(Config(), backend, NoAuth())) as client:
        yield client


def _create(http: httpx.Client) -> str:
    response = http.post("/compute/", headers=PLAIN, content=f"Category: {COMPUTE_KIND}\n")
    assert response.status_code == 201, response.text
    return "/" + response.headers["location"].split("/", 3)[3]


@pytest.mark.parametrize("accept", ["text/plain", "application/occi+json", "text/html"])
def test_accept_is_negotiated_once_per_request(
    http: httpx.Client, monkeypatch: pytest.MonkeyPatch, accept: str
) -> None:
    calls: list[str | None] = []
    choose = negotiate.choose_media_type

    def counted(value: str | None) -> str:
        calls.append(value)
        return choose(value)

    monkeypatch.setattr(negotiate, "choose_media_type", counted)
    assert http.get("/compute/", headers={"Accept": accept}).status_code == 200
    assert calls == [accept]


def test_an_unacceptable_accept_is_406_in_text_plain(http: httpx.Client) -> None:
    response = http.get("/compute/", headers={"Accept": "application/xml"})
    assert response.status_code == 406
    assert response.headers["content-type"].startswith("text/plain")
    assert "application/xml" in response.text


def test_a_malformed_body_is_refused_before_a_transaction_opens(
    http: httpx.Client, backend: MemoryBackend
) -> None:
    response = http.post("/compute/", headers=PLAIN, content=b"Category compute\n")
    assert response.status_code == 400
    assert backend.sessions_opened == 0
    assert http.post("/compute/", headers={"Content-Type": "x/y"}, content=b"a").status_code == 415
    assert backend.sessions_opened == 0


@pytest.mark.parametrize(
    ("path", "target"),
    [("/-/", "QUERY"), ("/", "ROOT"), ("/compute/", "KIND"), ("/vms/", "UNBOUND")],
)
def test_a_method_outside_the_route_table_is_405_listing_the_table(
    http: httpx.Client, path: str, target: str
) -> None:
    allowed = [m for t, methods in ROUTES.items() if t.name == target for m in methods]
    refused = next(m for m in ("PUT", "PATCH", "POST") if m not in allowed)
    response = http.request(refused, path)
    assert response.status_code == 405
    assert response.headers["allow"] == ", ".join(allowed)


def test_patch_on_an_entity_is_405(http: httpx.Client) -> None:
    response = http.request("PATCH", _create(http))
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, POST, PUT, DELETE"


def test_delete_under_a_stale_if_match_is_412_and_a_current_one_deletes(
    http: httpx.Client,
) -> None:
    path = _create(http)
    etag = http.get(path).headers["etag"]
    assert http.delete(path, headers={"If-Match": '"nope"'}).status_code == 412
    assert http.get(path).status_code == 200
    assert http.delete(path, headers={"If-Match": f'"x", {etag}'}).status_code == 200
    assert http.get(path).status_code == 404


def test_put_under_if_match_creates_nothing(http: httpx.Client) -> None:
    body = f"Category: {COMPUTE_KIND}\n"
    response = http.put("/compute/chosen", headers={**PLAIN, "If-Match": "*"}, content=body)
    assert response.status_code == 412
    assert http.get("/compute/chosen").status_code == 404
    assert http.put("/compute/chosen", headers=PLAIN, content=body).status_code == 201
    assert (
        http.put("/compute/chosen", headers={**PLAIN, "If-Match": "*"}, content=body).status_code
        == 200
    )
