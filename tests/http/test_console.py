"""The console's HTTP side in process: sessions, CSRF, method override, 303s, non-HTML untouched."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from occi_server.backends.local import LocalBackend, default_offer
from occi_server.config import Config
from occi_server.db.engine import make_engine
from occi_server.db.migrate import upgrade
from occi_server.http.app import OcciApp
from occi_server.http.handler import negotiated
from occi_server.http.messages import HttpRequest, HttpResponse
from occi_server.identity.auth import LocalAuth, NoAuth
from occi_server.identity.store import IdentityStore

BASE = "http://127.0.0.1:8787"
HTML = "text/html,application/xhtml+xml,*/*;q=0.8"
FORM = "application/x-www-form-urlencoded"
COMPUTE = "http://schemas.ogf.org/occi/infrastructure#compute"
STOP = "http://schemas.ogf.org/occi/infrastructure/compute/action#stop"


class Browser:
    """Just enough of a browser: a cookie jar, form posts, no redirects followed."""

    def __init__(self, app: OcciApp) -> None:
        self.app = app
        self.jar: dict[str, str] = {}

    def send(
        self,
        method: str,
        target: str,
        form: list[tuple[str, str]] | None = None,
        headers: list[tuple[str, str]] | None = None,
        accept: str = HTML,
        body: bytes | None = None,
    ) -> HttpResponse:
        path, _, query = target.partition("?")
        params = dict(p.split("=", 1) for p in query.split("&") if p)
        sent = [("accept", accept), *(headers or [])]
        if self.jar:
            sent.append(("cookie", "; ".join(f"{k}={v}" for k, v in self.jar.items())))
        if form is not None:
            body = urlencode(form).encode()
            sent.append(("content-type", FORM))
        request = HttpRequest(method, path, params, sent, body or b"", BASE)
        response = self.app.console.handle(request)
        for name, value in response.headers:
            if name.lower() == "set-cookie":
                cookie, _, _ = value.partition(";")
                key, _, val = cookie.partition("=")
                self.jar.pop(key, None) if "Max-Age=0" in value else self.jar.update({key: val})
        return response

    def csrf(self, page: str) -> str:
        found = re.search(r'name="_csrf" value="([^"]*)"', self.page(page))
        assert found, page
        return found.group(1)

    def page(self, target: str) -> str:
        response = self.send("GET", target)
        assert response.status == 200, (target, response.status, response.rendered.body[:300])
        return response.rendered.body.decode()

    def sign_in(self) -> None:
        token = self.csrf("/console/login")
        creds = [("user", "bob"), ("password", "pw"), ("_csrf", token)]
        assert self.send("POST", "/console/login", creds).status == 303


def location(response: HttpResponse) -> str:
    return next(urlsplit(v).path for n, v in response.headers if n == "Location")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[OcciApp]:
    url = f"sqlite:///{tmp_path / 'occi.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    store = IdentityStore(engine)
    store.create_user("demo", "bob", "pw")
    yield OcciApp(Config(), LocalBackend(engine, default_offer()), LocalAuth(store))
    engine.dispose()


@pytest.fixture
def browser(app: OcciApp) -> Browser:
    return Browser(app)


def create_vm(browser: Browser) -> str:
    token = browser.csrf("/compute/")
    response = browser.send("POST", "/compute/", [("category", COMPUTE), ("_csrf", token)])
    assert response.status == 303
    return location(response)


def test_without_a_session_html_goes_to_the_login_page(browser: Browser) -> None:
    response = browser.send("GET", "/compute/")
    assert response.status == 303
    assert location(response) == "/console/login"
    assert "next=/compute/" in dict(response.headers)["Location"]


def test_password_login_sets_a_strict_httponly_cookie_with_a_minted_token(
    browser: Browser,
) -> None:
    token = browser.csrf("/console/login?next=/compute/")
    creds = [("user", "bob"), ("password", "pw"), ("_csrf", token), ("next", "/compute/")]
    response = browser.send("POST", "/console/login", creds)
    assert response.status == 303 and location(response) == "/compute/"
    cookie = next(v for n, v in response.headers if v.startswith("occi_session="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=" in cookie
    # The cookie holds a token minted for bob, not the Basic credentials (a random token may
    # contain "pw" by chance, so the value itself is checked).
    value = cookie.partition(";")[0].partition("=")[2]
    assert value not in ("pw", "bob", base64.b64encode(b"bob:pw").decode())
    assert isinstance(browser.app.engine.authenticator, LocalAuth)
    identity = browser.app.engine.authenticator.store.authenticate_token(value)
    assert identity is not None and identity.user_name == "bob"
    assert "<h1>Compute Resource</h1>" in browser.page("/compute/")


def test_token_login_and_wrong_credentials(browser: Browser, app: OcciApp) -> None:
    token = browser.csrf("/console/login")
    wrong = browser.send("POST", "/console/login", [("token", "nope"), ("_csrf", token)])
    assert wrong.status == 401 and b"invalid or expired token" in wrong.rendered.body
    assert not any(n.lower() == "www-authenticate" for n, _ in wrong.headers)  # no Basic popup
    assert isinstance(app.engine.authenticator, LocalAuth)
    real = app.engine.authenticator.store.create_token("demo", "bob")
    assert browser.send("POST", "/console/login", [("token", real), ("_csrf", token)]).status == 303
    assert browser.jar["occi_session"] == real


def test_login_and_every_form_need_the_csrf_token(browser: Browser) -> None:
    bad = browser.send("POST", "/console/login", [("user", "bob"), ("password", "pw")])
    assert bad.status == 403
    browser.sign_in()
    for form in ([("category", COMPUTE)], [("category", COMPUTE), ("_csrf", "forged")]):
        response = browser.send("POST", "/compute/", form)
        assert response.status == 403
        assert b"CSRF" in response.rendered.body
    assert "Nothing here yet" in browser.page("/compute/")


def test_a_form_post_answers_303_to_the_created_entity(browser: Browser) -> None:
    browser.sign_in()
    vm = create_vm(browser)
    assert vm.startswith("/compute/")
    assert 'class="state state-active"' in browser.page(vm)


def test_action_form_redirects_back_with_the_new_state(browser: Browser) -> None:
    browser.sign_in()
    vm = create_vm(browser)
    token = browser.csrf(vm)
    form = [("category", STOP), ("method", "poweroff"), ("_csrf", token)]
    response = browser.send("POST", vm + "?action=stop", form)
    assert response.status == 303 and location(response) == vm
    assert "state-inactive" in browser.page(vm)


def test_a_compute_page_shows_the_guest_serial_log_and_links_the_text(browser: Browser) -> None:
    browser.sign_in()
    vm = create_vm(browser)
    page = browser.page(vm)
    section = page[page.index('id="serial-title"') :]
    # The simulated guest's log is its operations: "defined <name>" first.
    assert '<pre class="serial-log" tabindex="0" aria-label="Serial console log">defined ' in (
        section
    )
    assert f'href="{vm}?console"' in section
    # A storage has no console: its page has no such section.
    token = browser.csrf("/storage/")
    storage = [("category", "http://schemas.ogf.org/occi/infrastructure#storage"),
               ("occi.storage.size", "1"), ("_csrf", token)]  # fmt: skip
    volume = location(browser.send("POST", "/storage/", storage))
    assert "serial-title" not in browser.page(volume)


def test_method_override_deletes_through_a_form_only(browser: Browser) -> None:
    browser.sign_in()
    vm = create_vm(browser)
    token = browser.csrf(vm)
    response = browser.send("POST", vm, [("_method", "DELETE"), ("_csrf", token)])
    assert response.status == 303 and location(response) == "/compute/"
    assert browser.send("GET", vm).status == 404
    # A non-form body riding on the cookie is refused outright (a foreign page could send it).
    plain = browser.send(
        "POST", "/compute/", body=b"_method=DELETE", headers=[("content-type", "text/plain")]
    )
    assert plain.status == 403


def test_error_pages_are_html_with_the_status_and_message(browser: Browser) -> None:
    browser.sign_in()
    response = browser.send("GET", "/compute/nope")
    page = response.rendered.body.decode()
    assert response.status == 404 and response.rendered.content_type == "text/html"
    assert "<h1>404 Not Found</h1>" in page and "/compute/nope" in page


def test_logout_ends_the_session(browser: Browser) -> None:
    browser.sign_in()
    token = browser.csrf("/console/logout")
    response = browser.send("POST", "/console/logout", [("_csrf", token)])
    assert response.status == 303 and location(response) == "/console/login"
    assert "occi_session" not in browser.jar
    assert browser.send("GET", "/compute/").status == 303


def test_logout_revokes_the_token_the_password_sign_in_minted(
    browser: Browser, app: OcciApp
) -> None:
    browser.sign_in()
    minted = browser.jar["occi_session"]
    browser.send("POST", "/console/logout", [("_csrf", browser.csrf("/console/logout"))])
    assert isinstance(app.engine.authenticator, LocalAuth)
    assert app.engine.authenticator.store.authenticate_token(minted) is None
    # Replaying the old cookie (or using the token as an API token) no longer works.
    browser.jar["occi_session"] = minted
    assert browser.send("GET", "/compute/").status == 303
    api = browser.send("GET", "/-/", headers=[("x-auth-token", minted)], accept="text/plain")
    assert api.status == 401


def test_logout_keeps_an_api_token_the_user_signed_in_with(browser: Browser, app: OcciApp) -> None:
    assert isinstance(app.engine.authenticator, LocalAuth)
    own = app.engine.authenticator.store.create_token("demo", "bob")
    csrf = browser.csrf("/console/login")
    assert browser.send("POST", "/console/login", [("token", own), ("_csrf", csrf)]).status == 303
    browser.send("POST", "/console/logout", [("_csrf", browser.csrf("/console/logout"))])
    assert "occi_session" not in browser.jar
    assert app.engine.authenticator.store.authenticate_token(own) is not None


def test_delete_confirmation_page_posts_a_delete(browser: Browser) -> None:
    browser.sign_in()
    page = browser.page("/console/delete?target=/compute/abc&next=/compute/")
    assert 'action="/compute/abc"' in page and 'name="_method" value="DELETE"' in page
    assert 'name="_redirect" value="/compute/"' in page
    assert browser.send("GET", "/console/delete?target=//evil/x").status == 400


def test_stylesheet_is_served_from_the_package(browser: Browser) -> None:
    response = browser.send("GET", "/console/static/console.css")
    assert response.status == 200 and response.rendered.content_type == "text/css"
    assert browser.send("GET", "/console/static/../x.css").status == 404


def test_the_cookie_never_authenticates_other_renderings(browser: Browser) -> None:
    browser.sign_in()
    assert browser.send("GET", "/compute/", accept="text/plain").status == 401
    assert browser.send("GET", "/compute/", accept="application/occi+json").status == 401


def test_non_html_requests_are_answered_as_without_the_console(app: OcciApp) -> None:
    assert isinstance(app.engine.authenticator, LocalAuth)
    token = app.engine.authenticator.store.create_token("demo", "bob")
    for accept, content_type, body in [
        ("text/plain", "", b""),
        ("application/occi+json", "", b""),
        # Form content outside the console stays unsupported (415), as before.
        ("text/plain", FORM, b"category=x"),
    ]:
        headers = [("accept", accept), ("x-auth-token", token)]
        if content_type:
            headers.append(("content-type", content_type))
        method = "POST" if body else "GET"
        request = HttpRequest(method, "/compute/", {}, list(headers), body, BASE)
        direct = app.engine.handle(request, negotiated(request))
        via = app.console.handle(HttpRequest(method, "/compute/", {}, list(headers), body, BASE))
        assert (via.status, via.rendered.body, via.headers) == (
            direct.status,
            direct.rendered.body,
            direct.headers,
        )
    assert via.status == 415


def test_without_auth_forms_still_need_csrf(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'none.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    browser = Browser(OcciApp(Config(), LocalBackend(engine, default_offer()), NoAuth()))
    assert "nothing to sign in to" in browser.page("/console/login")
    assert browser.send("POST", "/compute/", [("category", COMPUTE)]).status == 403
    assert create_vm(browser).startswith("/compute/")
    engine.dispose()


GROUP_FORM = [
    ("_mixin_scheme", "http://schemas.openstack.org/occi/security/group#"),
    ("_mixin_rel", "http://schemas.ogf.org/occi/infrastructure/security#group"),
    ("_mixin_location", "/security/group/"),
    ("_redirect", "/security/group/"),
]


def test_a_security_group_is_made_from_its_page_and_a_bad_name_is_named(
    browser: Browser,
) -> None:
    browser.sign_in()
    token = browser.csrf("/security/group/")
    made = browser.send("POST", "/-/", [("_mixin_term", "db"), ("_csrf", token), *GROUP_FORM])
    assert made.status == 303 and location(made) == "/security/group/"
    assert 'href="/security/group/db/"' in browser.page("/security/group/")
    bad = browser.send("POST", "/-/", [("_mixin_term", "Bad Name"), ("_csrf", token), *GROUP_FORM])
    assert bad.status == 400 and "form field name" in bad.rendered.body.decode()


def test_sign_out_is_offered_only_to_someone_signed_in(browser: Browser, tmp_path: Path) -> None:
    assert ">Sign out<" not in browser.page("/console/login")
    browser.sign_in()
    assert ">Sign out<" in browser.page("/compute/")
    assert ">Sign out<" in browser.page("/console/login")
    url = f"sqlite:///{tmp_path / 'open.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    open_console = Browser(OcciApp(Config(), LocalBackend(engine, default_offer()), NoAuth()))
    assert ">Sign out<" not in open_console.page("/compute/")  # --auth none: nobody signs in
    engine.dispose()


def test_the_attach_form_offers_the_projects_volumes(browser: Browser) -> None:
    browser.sign_in()
    vm = create_vm(browser)
    assert 'name="occi.core.target" type="text"' in browser.page(vm)  # no volume yet: typed
    token = browser.csrf("/storage/")
    created = browser.send(
        "POST",
        "/storage/",
        [
            ("category", COMPUTE[:-7] + "storage"),
            ("occi.core.title", "vol-a"),
            ("occi.storage.size", "1"),
            ("_csrf", token),
        ],
    )
    volume = location(created)
    page = browser.page(vm)
    assert f'<option value="{volume}">vol-a ({volume})</option>' in page
