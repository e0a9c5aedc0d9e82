"""CSRF beyond cookies and the console's headers (issue 15, rows 10 and 16): an unsafe request a
browser sends from another site is refused whatever credentials ride along (cached Basic, or
none under --auth none); clients that are not browsers are unaffected."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from occi_server.backends.local import LocalBackend, default_offer
from occi_server.config import Config
from occi_server.db.engine import make_engine
from occi_server.db.migrate import upgrade
from occi_server.http.app import OcciApp
from occi_server.http.messages import HttpRequest, HttpResponse
from occi_server.identity.auth import LocalAuth, NoAuth
from occi_server.identity.passwords_gate import PasswordGate
from occi_server.identity.store import IdentityStore

BASE = "http://127.0.0.1:8787"
COMPUTE = 'compute; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind"'
BASIC = "Basic " + base64.b64encode(b"bob:pw").decode()


@pytest.fixture(params=["basic", "none"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OcciApp]:
    url = f"sqlite:///{tmp_path / 'occi.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    store = IdentityStore(engine)
    store.create_user("demo", "bob", "pw")
    auth = LocalAuth(store) if request.param == "basic" else NoAuth()
    yield OcciApp(Config(), LocalBackend(engine, default_offer()), auth)
    engine.dispose()


def send(app: OcciApp, method: str, path: str, *headers: tuple[str, str]) -> HttpResponse:
    body = f"Category: {COMPUTE}\n".encode() if method == "POST" else b""
    sent = [("authorization", BASIC), ("content-type", "text/plain"), *headers]
    return app.console.handle(HttpRequest(method, path, {}, sent, body, BASE))


@pytest.mark.parametrize(
    "signal",
    [
        ("origin", "http://evil.example"),
        ("origin", "null"),
        ("sec-fetch-site", "cross-site"),
        ("referer", "http://evil.example/page.html"),
        ("origin", "http://127.0.0.1:9999"),
    ],
)
def test_a_cross_site_form_post_is_refused(app: OcciApp, signal: tuple[str, str]) -> None:
    response = send(app, "POST", "/compute/", signal)
    assert response.status == 403
    assert signal[0].lower() in response.rendered.body.decode().lower()


def test_a_cross_site_html_delete_is_refused(app: OcciApp) -> None:
    response = send(
        app, "DELETE", "/compute/", ("accept", "text/html"), ("referer", "http://evil.example/")
    )
    assert response.status == 403


def test_same_origin_and_non_browser_clients_pass(app: OcciApp) -> None:
    assert send(app, "POST", "/compute/", ("origin", BASE)).status == 201
    assert send(app, "POST", "/compute/", ("sec-fetch-site", "same-origin")).status == 201
    assert send(app, "POST", "/compute/").status == 201  # curl sends no Origin
    # Reading is never refused: a cross-site GET changes nothing.
    assert send(app, "GET", "/compute/", ("origin", "http://evil.example")).status == 200


def test_console_pages_cannot_be_framed_or_sniffed(app: OcciApp) -> None:
    response = app.console.handle(
        HttpRequest("GET", "/console/login", {}, [("accept", "text/html")], b"", BASE)
    )
    headers = {n.lower(): v for n, v in response.headers}
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"


def test_console_sign_in_failures_are_throttled(tmp_path: Path) -> None:
    from tests.http.test_console import Browser

    url = f"sqlite:///{tmp_path / 'console.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    store = IdentityStore(engine)
    store.create_user("demo", "bob", "pw")
    auth = LocalAuth(store, gate=PasswordGate(store, failures=3, window=60))
    browser = Browser(OcciApp(Config(), LocalBackend(engine, default_offer()), auth))
    statuses = []
    for attempt in range(4):
        csrf = browser.csrf("/console/login")
        form = [("user", "bob"), ("password", f"wrong{attempt}"), ("_csrf", csrf)]
        response = browser.send("POST", "/console/login", form)
        statuses.append(response.status)
    assert statuses == [401, 401, 401, 429]
    assert any(n == "Retry-After" for n, _ in response.headers)
    engine.dispose()
