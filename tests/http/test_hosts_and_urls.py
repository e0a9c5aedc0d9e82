"""Hosts and URLs (issue 15, rows 5, 7, 8, 9, 12, 14): every URL in input parsed robustly (a 400
naming the culprit, never a 500), Host checked against the configuration, absolute URLs built
from the trusted base only, caches never keyed by Host, PUT paths addressable."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from occi_server.backends.local import LocalBackend, default_offer
from occi_server.config import Config
from occi_server.db.engine import make_engine
from occi_server.db.migrate import upgrade
from occi_server.http.app import OcciApp
from occi_server.http.messages import HttpRequest
from occi_server.identity.auth import LocalAuth
from occi_server.identity.store import IdentityStore
from tests.support.server import ServerProcess

INFRA = "http://schemas.ogf.org/occi/infrastructure#"
COMPUTE = f'compute; scheme="{INFRA}"; class="kind"'
BAD = "http://[/compute/1"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(data_dir=tmp_path_factory.mktemp("urls")).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def auth(server: ServerProcess) -> dict[str, str]:
    return {"X-Auth-Token": server.token("urls")}


def raw(server: ServerProcess, method: str, path: str, headers: dict[str, str]) -> tuple[int, str]:
    """A request sent as given: no client-side URL normalisation, any Host header."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.putrequest(method, path, skip_host="Host" in headers)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.getheader("x-occi-error") or response.read().decode()
    finally:
        connection.close()


def test_a_host_urlsplit_cannot_parse_is_400_without_credentials(server: ServerProcess) -> None:
    status, error = raw(server, "GET", "/-/", {"Host": "["})
    assert status == 400
    assert "Host" in error


def test_a_host_with_a_path_is_400(server: ServerProcess, auth: dict[str, str]) -> None:
    status, error = raw(server, "GET", "/-/", {"Host": "evil.example/base", **auth})
    assert status == 400
    assert "Host" in error


def test_a_huge_occi_version_in_user_agent_is_refused_cleanly(server: ServerProcess) -> None:
    response = httpx.get(server.url + "/-/", headers={"User-Agent": f"OCCI/{'9' * 5000}.1"})
    assert response.status_code == 400
    assert "User-Agent" in response.headers["x-occi-error"]


@pytest.mark.parametrize(
    ("path", "headers", "culprit"),
    [
        ("/compute/", {"Category": COMPUTE, "Link": f'<{BAD}>; rel="{INFRA}network"'}, "Link"),
        (
            "/",
            {
                "Category": f'networkinterface; scheme="{INFRA}"; class="kind"',
                "X-OCCI-Attribute": f'occi.core.source="{BAD}", occi.core.target="/network/x"',
            },
            "occi.core.source",
        ),
        (
            "/",
            {
                "Category": f'networkinterface; scheme="{INFRA}"; class="kind"',
                "X-OCCI-Attribute": f'occi.core.source="/compute/x", occi.core.target="{BAD}"',
            },
            "occi.core.target",
        ),
        (
            "/-/",
            {
                "Category": 'm; scheme="http://example.com/s#"; class="mixin"; location="http://[/m/"'
            },
            "location",
        ),
        ("/compute/", {"Category": COMPUTE, "Link": '<http://[::1/x>; rel="x"'}, "Link"),
        ("/compute/", {"Category": COMPUTE, "Link": '<http://h:99999999999/x>; rel="x"'}, "Link"),
    ],
)
def test_a_bad_location_in_text_is_400_naming_it(
    server: ServerProcess, auth: dict[str, str], path: str, headers: dict[str, str], culprit: str
) -> None:
    response = httpx.post(
        server.url + path, headers={**auth, "Content-Type": "text/occi", **headers}
    )
    assert response.status_code == 400, response.text
    assert culprit in response.headers["x-occi-error"]


def test_a_bad_location_in_a_uri_list_is_400(server: ServerProcess, auth: dict[str, str]) -> None:
    mixin = 'tag; scheme="http://example.com/tags#"; class="mixin"; location="/tag/"'
    created = httpx.post(
        server.url + "/-/", headers={**auth, "Content-Type": "text/occi", "Category": mixin}
    )
    assert created.status_code == 200, created.text
    for headers, body in (
        ({"Content-Type": "text/occi", "X-OCCI-Location": BAD}, b""),
        ({"Content-Type": "text/uri-list"}, BAD.encode() + b"\n"),
    ):
        response = httpx.post(server.url + "/tag/", headers={**auth, **headers}, content=body)
        assert response.status_code == 400, response.text
        assert (
            "X-OCCI-Location" in response.headers["x-occi-error"]
            or "location" in (response.headers["x-occi-error"])
        )


def test_a_bad_json_target_location_is_400(server: ServerProcess, auth: dict[str, str]) -> None:
    body = {
        "kind": INFRA + "compute",
        "links": [{"kind": INFRA + "networkinterface", "target": {"location": BAD}}],
    }
    response = httpx.post(
        server.url + "/compute/",
        headers={**auth, "Content-Type": "application/occi+json"},
        content=json.dumps(body),
    )
    assert response.status_code == 400, response.text
    assert "target" in response.text


def test_a_lone_surrogate_in_json_is_400(server: ServerProcess, auth: dict[str, str]) -> None:
    body = json.dumps({"kind": INFRA + "compute", "attributes": {"occi.core.title": "\ud800"}})
    response = httpx.post(
        server.url + "/compute/",
        headers={**auth, "Content-Type": "application/occi+json"},
        content=body,
    )
    assert response.status_code == 400
    assert "occi.core.title" in response.text


@pytest.mark.parametrize(
    "path",
    # /cdmi/ is reserved too, and now answered by CDMI itself (tests/cdmi/).
    ["/-/x", "/.well-known/org/ogf/occi/-/x", "/compute/%2e%2e", "/compute/a%25"],
)
def test_put_at_an_unaddressable_or_reserved_path_is_400(
    server: ServerProcess, auth: dict[str, str], path: str
) -> None:
    status, error = raw(
        server,
        "PUT",
        path,
        {
            "Host": f"127.0.0.1:{server.port}",
            "Category": COMPUTE,
            "Content-Type": "text/occi",
            **auth,
        },
    )
    assert status == 400, error


def test_put_at_a_plain_path_still_creates(server: ServerProcess, auth: dict[str, str]) -> None:
    response = httpx.put(
        server.url + "/compute/plain-name_1",
        headers={**auth, "Content-Type": "text/occi", "Category": COMPUTE},
    )
    assert response.status_code == 201
    assert response.headers["location"].endswith("/compute/plain-name_1")


# -- configured hosts ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("public")
    config = data / "occi.toml"
    config.write_text(
        '[server]\npublic_url = "https://cloud.example.com/occi"\n'
        'allowed_hosts = ["127.0.0.1", "localhost"]\n'
    )
    process = ServerProcess(data_dir=data, extra_args=("--config", str(config))).start()
    yield process
    process.stop()


def test_an_unknown_host_is_400_when_hosts_are_configured(public: ServerProcess) -> None:
    token = public.token("hosts")
    status, error = raw(public, "GET", "/-/", {"Host": "evil.example", "X-Auth-Token": token})
    assert status == 400
    assert "evil.example" in error


def test_urls_come_from_the_public_url_not_from_host(public: ServerProcess) -> None:
    token = public.token("hosts")
    response = httpx.post(
        public.url + "/compute/",
        headers={"X-Auth-Token": token, "Content-Type": "text/occi", "Category": COMPUTE},
    )
    assert response.status_code == 201
    assert response.headers["location"].startswith("https://cloud.example.com/occi/compute/")


@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(data_dir=tmp_path_factory.mktemp("noauth"), auth="none").start()
    yield process
    process.stop()


def test_auth_none_serves_loopback_names_only(open_server: ServerProcess) -> None:
    port = open_server.port
    assert raw(open_server, "GET", "/-/", {"Host": f"localhost:{port}"})[0] == 200
    assert raw(open_server, "GET", "/-/", {"Host": f"127.0.0.1:{port}"})[0] == 200
    status, error = raw(open_server, "GET", "/-/", {"Host": f"rebound.example:{port}"})
    assert status == 400
    assert "rebound.example" in error


# -- the query interface cache ---------------------------------------------------------------


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[OcciApp, str]]:
    url = f"sqlite:///{tmp_path / 'occi.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    store = IdentityStore(engine)
    token = store.create_token("cache", "u")
    yield OcciApp(Config(), LocalBackend(engine, default_offer()), LocalAuth(store)), token
    engine.dispose()


def test_the_query_interface_cache_is_not_keyed_by_host(app: tuple[OcciApp, str]) -> None:
    occi, token = app
    for i in range(50):
        request = HttpRequest(
            "GET", "/-/", {}, [("x-auth-token", token)], b"", f"http://host{i}.example"
        )
        assert occi.console.handle(request).status == 200
    assert len(occi.engine.cache._renderings) == 1
