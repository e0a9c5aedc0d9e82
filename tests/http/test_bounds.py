"""Bounded work and what we store we can render (issue 15, rows 1, 2, 11, 13): 413 past the
limits on inline links, categories, attribute sizes and collection-action members; a
collection's chg_pwd runs scrypt once; collections leave provider resources out; external
link targets are URIs and text renderings carry no raw line separators."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from occi_server.backends.local import LocalBackend, credentials, default_offer
from occi_server.config import Config, LimitsConfig
from occi_server.db.engine import make_engine
from occi_server.db.migrate import upgrade
from occi_server.http.app import OcciApp
from occi_server.http.messages import HttpRequest
from occi_server.identity.auth import LocalAuth
from occi_server.identity.store import IdentityStore
from tests.support.server import ServerProcess

INFRA = "http://schemas.ogf.org/occi/infrastructure#"
ACTIONS = "http://schemas.ogf.org/occi/infrastructure/"
COMPUTE = f'compute; scheme="{INFRA}"; class="kind"'
NETWORK = f'network; scheme="{INFRA}"; class="kind"'
LIMITS = {"max_links": 4, "max_categories": 6, "max_attribute_bytes": 1024}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("bounds")
    config = data / "occi.toml"
    config.write_text(
        "[limits]\nmax_action_members = 3\n" + "".join(f"{k} = {v}\n" for k, v in LIMITS.items())
    )
    process = ServerProcess(data_dir=data, extra_args=("--config", str(config))).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def api(server: ServerProcess) -> Iterator[httpx.Client]:
    headers = {"X-Auth-Token": server.token("bounds"), "Content-Type": "text/plain"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        yield client


def create(api: httpx.Client, lines: list[str]) -> httpx.Response:
    return api.post("/compute/", content="\n".join([f"Category: {COMPUTE}", *lines]))


def test_inline_links_past_the_limit_are_413_at_once(api: httpx.Client) -> None:
    link = f'Link: </network/public>; rel="{INFRA}network"; category="{INFRA}networkinterface"'
    start = time.monotonic()
    response = create(api, [link] * 2000)
    assert response.status_code == 413
    assert "inline links" in response.headers["x-occi-error"]
    assert time.monotonic() - start < 5
    assert create(api, [link] * 4).status_code == 201


def test_categories_past_the_limit_are_413(api: httpx.Client) -> None:
    mixins = [f'Category: m{i}; scheme="http://example.com/m#"; class="mixin"' for i in range(6)]
    response = create(api, mixins)
    assert response.status_code == 413
    assert "categories" in response.headers["x-occi-error"]


def test_an_attribute_value_past_the_limit_is_413_naming_it(api: httpx.Client) -> None:
    response = create(api, [f'X-OCCI-Attribute: occi.core.title="{"t" * 2000}"'])
    assert response.status_code == 413
    assert "occi.core.title" in response.headers["x-occi-error"]


def test_a_collection_action_past_the_member_limit_is_413(api: httpx.Client) -> None:
    stop = (
        'stop; scheme="http://schemas.ogf.org/occi/infrastructure/compute/action#"; class="action"'
    )
    while len(api.get("/compute/").text.splitlines()) < 4:
        assert create(api, []).status_code == 201
    response = api.post("/compute/?action=stop", headers={"Category": stop})
    assert response.status_code == 413
    assert "max_action_members" in response.headers["x-occi-error"]


def test_collection_delete_and_action_leave_the_provider_network_out(api: httpx.Client) -> None:
    assert api.post("/network/", headers={"Category": NETWORK}).status_code == 201
    down = f'down; scheme="{ACTIONS}network/action#"; class="action"'
    assert api.post("/network/?action=down", headers={"Category": down}).status_code == 200
    assert api.delete("/network/").status_code == 200
    remaining = api.get("/network/").text
    assert "/network/public" in remaining
    assert remaining.count("/network/") == 1


def test_an_external_link_target_must_be_a_uri(api: httpx.Client) -> None:
    for target in ("http://example.com/a<b", "http://example.com/a b", "http://e.com/x,\ty"):
        link = f'Link: <{target}>; rel="http://example.com/rel"'
        response = create(api, [link])
        assert response.status_code == 400, target


def test_line_separators_never_reach_a_text_rendering_raw(api: httpx.Client) -> None:
    title = "a\u2028b\u2029c\x85d"
    created = api.post(
        "/compute/",
        headers={"Content-Type": "application/occi+json"},
        content=f'{{"kind": "{INFRA}compute", "attributes": {{"occi.core.title": "{title}"}}}}',
    )
    assert created.status_code == 201, created.text
    path = "/" + created.headers["location"].split("/", 3)[3]
    body = api.get(path, headers={"Accept": "text/plain"}).text
    assert len(body.splitlines()) == len(body.split("\n")) - body.endswith("\n")
    assert "a b c d" in body


# -- chg_pwd on a collection, in process ---------------------------------------------------


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[OcciApp, str]]:
    url = f"sqlite:///{tmp_path / 'occi.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    store = IdentityStore(engine)
    token = store.create_token("pwd", "u")
    config = Config(limits=LimitsConfig(max_action_members=50))
    yield OcciApp(config, LocalBackend(engine, default_offer()), LocalAuth(store)), token
    engine.dispose()


def test_chg_pwd_on_a_collection_hashes_once(
    app: tuple[OcciApp, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    occi, token = app

    def send(method: str, path: str, *headers: tuple[str, str]) -> int:
        request = HttpRequest(
            method,
            path,
            {"action": "chg_pwd"} if "?" in path else {},
            [("x-auth-token", token), ("content-type", "text/occi"), *headers],
            b"",
            "http://127.0.0.1",
        )
        request.path = path.split("?")[0]
        return occi.console.handle(request).status

    for _ in range(10):
        assert send("POST", "/compute/", ("category", COMPUTE)) == 201
    hashed: list[str] = []
    real = credentials.hash_password
    monkeypatch.setattr(credentials, "hash_password", lambda p: hashed.append(p) or real(p))
    action = 'chg_pwd; scheme="http://schemas.openstack.org/instance/action#"; class="action"'
    status = send(
        "POST",
        "/compute/?action=chg_pwd",
        ("category", action),
        ("x-occi-attribute", 'org.openstack.credentials.admin_pwd="n3w"'),
    )
    assert status == 200
    assert hashed == ["n3w"]
