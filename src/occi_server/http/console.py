"""The HTML console's HTTP side: sign-ins, CSRF, form posts, redirects, and its few own pages.

`Console.handle` sits in front of `Engine.handle`. Requests that do not negotiate text/html
pass through untouched, so every other rendering behaves exactly as without the console.
For text/html requests it:

- turns the session cookie into the `X-Auth-Token` the authenticator already understands (a
  cookie never authenticates anything but an HTML request, and explicit credentials win);
- checks the CSRF token of every form post (403 without a valid one) and refuses any other
  state-changing request that rides on the cookie, since a foreign page can make a browser
  send a `text/plain` body that the OCCI parsers would accept;
- parses form posts into the neutral OcciRequest (rendering/html_form.py) and applies the
  `_method` override (PUT, DELETE) for form posts only;
- answers a successful form post with 303 to the resulting page, and a missing or expired
  session with 303 to the login page instead of a 401 (whose Basic challenge would pop up the
  browser's own password dialog).

The CSRF token is HMAC(csrf cookie, session token): stateless (any worker can check it), never
exposes the session token, and bound to the sign-in, so a cookie planted by a sibling domain
cannot produce a valid one without the session token.

Sign-in with user name and password mints a token through the identity store (with the
session's lifetime) rather than keeping Basic credentials in a cookie: the password is used
once, and what the browser holds expires on its own.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from importlib import resources
from urllib.parse import quote, urlsplit

from occi_server.errors import BadRequest, Forbidden, MethodNotAllowed, NotFound, OcciError
from occi_server.http.console_sign_in import TOKEN, SignIn
from occi_server.http.csrf import CONSOLE_HEADERS, cross_site
from occi_server.http.handler import Engine, negotiated
from occi_server.http.messages import HttpRequest, HttpResponse, Negotiated
from occi_server.identity.auth import LocalAuth, NoAuth
from occi_server.rendering.base import Rendered
from occi_server.rendering.html import CONSOLE, HTML, PageContext, reason, render_page
from occi_server.rendering.html_form import FormPost, is_form, is_local_path, parse_form
from occi_server.rendering.text_format import Locator

COMPUTE_PATH, STORAGE_PATH = "/compute/", "/storage/"
# Tokens the password sign-in mints start with this: signing out revokes them.
CONSOLE_TOKEN_PREFIX = "console_"
SERIAL_TAIL = 16 * 1024  # characters of a guest's serial log a compute page shows (its end)
SIGN_IN_SECONDS = 8 * 3600
_STATIC = re.compile(r"[a-z0-9_-]+\.css")


class Console:
    def __init__(self, engine: Engine, sign_in_seconds: int = SIGN_IN_SECONDS) -> None:
        self.engine = engine
        self.sign_in_seconds = sign_in_seconds
        auth = engine.authenticator
        self.login_required = not isinstance(auth, NoAuth)
        # Only the local identity store can check a password and mint a token for it.
        self.store = auth.store if isinstance(auth, LocalAuth) else None

    def handle(self, request: HttpRequest) -> HttpResponse:
        """The entry of every request: Accept is negotiated here, once, and passed along."""
        if request.refused is None:
            # Another site's page may not change anything, whatever credentials ride along
            # (http/csrf.py); the engine, or the console's error page, answers the 403.
            request.refused = cross_site(request.method, dict(request.headers), request.base_url)
        if request.path == CONSOLE or request.path.startswith(CONSOLE + "/"):
            return self._guarded(request, self._own_page)
        accepted = negotiated(request)
        if accepted.media_type != HTML:
            return self.engine.handle(request, accepted)
        return self._guarded(request, lambda r, s: self._occi_page(r, s, accepted))

    def _guarded(
        self, request: HttpRequest, page: Callable[[HttpRequest, SignIn], HttpResponse]
    ) -> HttpResponse:
        sign_in = SignIn.of(request)
        try:
            if request.refused is not None:
                raise request.refused
            response = page(request, sign_in)
        except OcciError as error:
            response = self._error_page(request, sign_in, error)
        response.headers.extend(sign_in.set_cookies)
        response.headers.extend(CONSOLE_HEADERS)
        return response

    # -- OCCI URLs in HTML ------------------------------------------------------------------
    def _occi_page(
        self, request: HttpRequest, sign_in: SignIn, accepted: Negotiated
    ) -> HttpResponse:
        explicit = request.header("x-auth-token") or request.header("authorization")
        by_cookie = bool(sign_in.token) and not explicit
        if by_cookie:
            request.headers.append(("x-auth-token", sign_in.token))
        csrf = sign_in.csrf(sign_in.token if by_cookie else "")
        form = self._form(request, sign_in, csrf, by_cookie)
        request.page = PageContext(
            path=request.path,
            csrf=csrf,
            signed_in=self.login_required,
            volumes=self._volumes(request) if _is_compute_page(request) else (),
            serial_log=self._serial_log(request) if _is_compute_page(request) else None,
        )
        response = self.engine.handle(request, accepted)
        if response.status == 401 and not explicit:
            sign_in.end()
            return self._redirect(request, self._login_url(request))
        if form is not None and response.status < 300:
            return self._redirect(request, _destination(request, form, response))
        return response

    def _read(
        self, request: HttpRequest, path: str, accept: str, params: dict[str, str]
    ) -> HttpResponse:
        """A GET through the engine with the request's own credentials."""
        inner = HttpRequest(
            method="GET",
            path=path,
            params=params,
            headers=[
                *((n, v) for n, v in request.headers if n in ("x-auth-token", "authorization")),
                ("accept", accept),
            ],
            body=b"",
            base_url=request.base_url,
        )
        return self.engine.handle(inner, Negotiated(accept))

    def _serial_log(self, request: HttpRequest) -> str | None:
        """The compute's serial console log, as `GET <compute>?console` answers it (None: the
        cloud keeps none, or the compute cannot be read)."""
        response = self._read(request, request.path, "text/plain", {"console": ""})
        if response.status != 200:
            return None
        return response.rendered.body.decode("utf-8", "replace")[-SERIAL_TAIL:]

    def _volumes(self, request: HttpRequest) -> tuple[tuple[str, str], ...]:
        """The caller's volumes, for a compute page's attach form: one listing through the
        engine with the request's own credentials (nothing when it fails)."""
        response = self._read(request, STORAGE_PATH, "application/occi+json", {})
        if response.status != 200:
            return ()
        try:
            found = json.loads(response.rendered.body).get("resources", [])
        except ValueError:
            return ()
        prefix = Locator(request.base_url).base_url
        volumes = []
        for volume in found:
            location = str(volume.get("location", "")).removeprefix(prefix)
            title = volume.get("title") or volume.get("id", "")
            volumes.append((location, f"{title} ({location})"))
        return tuple(volumes)

    def _form(
        self, request: HttpRequest, sign_in: SignIn, csrf: str, by_cookie: bool
    ) -> FormPost | None:
        if request.method in ("GET", "HEAD"):
            return None
        if not is_form(request.header("content-type")):
            if by_cookie:
                raise Forbidden("the console accepts only its own forms when signed in by cookie")
            return None
        form = parse_form(request.body)
        sign_in.check_csrf(form.csrf, csrf)
        request.parsed = form.request
        if request.method == "POST" and form.method:
            request.method = form.method
        return form

    # -- the console's own pages ------------------------------------------------------------
    def _own_page(self, request: HttpRequest, sign_in: SignIn) -> HttpResponse:
        name = request.path.removeprefix(CONSOLE).strip("/")
        if name.startswith("static/"):
            return _static(request, name.removeprefix("static/"))
        handlers = {"login": self._login, "logout": self._logout, "delete": self._delete}
        handler = handlers.get(name or "login")
        if handler is None:
            raise NotFound(f"no console page {request.path}")
        allowed = ["GET", "HEAD"] if name == "delete" else ["GET", "HEAD", "POST"]
        if request.method not in allowed:
            raise MethodNotAllowed(f"{request.method} is not allowed on {request.path}", allowed)
        return handler(request, sign_in)

    def _login(self, request: HttpRequest, sign_in: SignIn) -> HttpResponse:
        next_path = request.params.get("next", "")
        message = ""
        refused: OcciError | None = None
        if request.method == "POST":
            form = self._own_form(request, sign_in, sign_in.token)
            next_path = form.fields.get("next", "")
            try:
                token = self._sign_in(request, form)
            except OcciError as error:
                message = error.message
                refused = error
            else:
                sign_in.start(token, self.sign_in_seconds)
                target = (
                    next_path if is_local_path(next_path) else Locator(request.base_url).path("/")
                )
                return self._redirect(request, target)
        status = 401 if message else 200
        if refused is not None and refused.status == 429:
            status = 429
        page = self._page(
            request,
            "login.html",
            status,
            sign_in,
            title="Sign in",
            csrf=sign_in.csrf(sign_in.token),
            message=message,
            required=self.login_required,
            passwords=self.store is not None,
            next=next_path if is_local_path(next_path) else "",
            token_from_cli=self.store is not None,
        )
        if refused is not None:
            page.headers.extend(
                (n, v) for n, v in refused.headers.items() if n.lower() == "retry-after"
            )
        return page

    def _sign_in(self, request: HttpRequest, form: FormPost) -> str:
        """A valid token for the form's token, or one minted for its user name and password."""
        auth = self.engine.authenticator
        token = form.fields.get("token", "")
        if token:
            if not TOKEN.fullmatch(token):
                raise BadRequest("token: not a valid token")
            auth.authenticate({"x-auth-token": token}, request.base_url, request.client)
            return token
        user, password = form.fields.get("user", ""), form.fields.get("password", "")
        if self.store is None or not user:
            raise BadRequest("sign in with a token")
        basic = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        ctx = auth.authenticate(
            {"authorization": "Basic " + basic}, request.base_url, request.client
        )
        return self.store.create_token(
            ctx.project_name, ctx.user_name, self.sign_in_seconds, prefix=CONSOLE_TOKEN_PREFIX
        )

    def _logout(self, request: HttpRequest, sign_in: SignIn) -> HttpResponse:
        if request.method == "POST":
            self._own_form(request, sign_in, sign_in.token)
            # A token minted by the password sign-in dies with the session; one the user
            # signed in with (an API token of theirs) is theirs to keep.
            auth = self.engine.authenticator
            if sign_in.token.startswith(CONSOLE_TOKEN_PREFIX) and isinstance(auth, LocalAuth):
                auth.revoke(sign_in.token)
            sign_in.end()
            return self._redirect(request, Locator(request.base_url).path(CONSOLE + "/login"))
        csrf = sign_in.csrf(sign_in.token)
        return self._page(request, "logout.html", 200, sign_in, title="Sign out", csrf=csrf)

    def _delete(self, request: HttpRequest, sign_in: SignIn) -> HttpResponse:
        """The confirmation step: a page whose form DELETEs the target through its OCCI URL."""
        target = request.params.get("target", "")
        if not is_local_path(target) or target.endswith("/"):
            raise BadRequest("target: the location of one entity, e.g. /compute/1")
        next_path = request.params.get("next", "")
        parent = _parent(target)
        return self._page(
            request,
            "confirm_delete.html",
            200,
            sign_in,
            title=f"Delete {target}",
            csrf=sign_in.csrf(sign_in.token),
            target=target,
            next=next_path if is_local_path(next_path) else parent,
            cancel=next_path if is_local_path(next_path) else target,
        )

    def _own_form(self, request: HttpRequest, sign_in: SignIn, token: str) -> FormPost:
        if not is_form(request.header("content-type")):
            raise Forbidden("the console accepts only its own forms")
        form = parse_form(request.body)
        sign_in.check_csrf(form.csrf, sign_in.csrf(token))
        return form

    # -- responses --------------------------------------------------------------------------
    def _page(
        self,
        request: HttpRequest,
        template: str,
        status: int,
        sign_in: SignIn | None = None,
        **values: object,
    ) -> HttpResponse:
        locator = Locator(request.base_url)
        signed_in = sign_in is not None and bool(sign_in.token) and self.login_required
        body = render_page(
            template, locator.base_path, href=locator.path, signed_in=signed_in, **values
        )
        return HttpResponse(status, Rendered(HTML, body))

    def _error_page(self, request: HttpRequest, sign_in: SignIn, error: OcciError) -> HttpResponse:
        response = self._page(
            request,
            "error.html",
            error.status,
            sign_in,
            title=f"{error.status} {reason(error.status)}",
            csrf="",
            message=error.message,
        )
        response.headers.extend(error.headers.items())
        return response

    def _login_url(self, request: HttpRequest) -> str:
        locator = Locator(request.base_url)
        here = request.path if request.method in ("GET", "HEAD") else "/"
        return locator.path(CONSOLE + "/login") + "?next=" + quote(locator.path(here))

    @staticmethod
    def _redirect(request: HttpRequest, browser_path: str) -> HttpResponse:
        """303 See Other: the browser GETs the page, so a reload never re-posts the form."""
        parts = urlsplit(request.base_url)
        url = f"{parts.scheme}://{parts.netloc}{browser_path}"
        return HttpResponse(303, Rendered(HTML), [("Location", url)])


def _destination(request: HttpRequest, form: FormPost, response: HttpResponse) -> str:
    """Where a successful form post leads: its `_redirect`, the created entity, the listing of
    a deleted entity, or the page it posted to."""
    if form.redirect:
        return form.redirect
    locator = Locator(request.base_url)
    created = next((v for n, v in response.headers if n.lower() == "location"), None)
    if created is not None:
        return urlsplit(created).path
    if request.method == "DELETE" and not request.path.endswith("/"):
        return locator.path(_parent(request.path))
    return locator.path(request.path)


def _is_compute_page(request: HttpRequest) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and request.path.startswith(COMPUTE_PATH)
        and len(request.path) > len(COMPUTE_PATH)
        and "/" not in request.path[len(COMPUTE_PATH) :]
    )


def _parent(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[0] + "/"


def _static(request: HttpRequest, name: str) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        raise MethodNotAllowed(
            f"{request.method} is not allowed on {request.path}", ["GET", "HEAD"]
        )
    if not _STATIC.fullmatch(name):
        raise NotFound(f"no console file {name[:60]}")
    file = resources.files("occi_server.rendering").joinpath("static", name)
    if not file.is_file():
        raise NotFound(f"no console file {name}")
    rendered = Rendered("text/css", file.read_bytes())
    return HttpResponse(200, rendered, [("Cache-Control", "public, max-age=3600")])
