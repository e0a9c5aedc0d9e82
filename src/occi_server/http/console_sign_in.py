"""The console's sign-in as the browser holds it: the session cookie (a token) and the CSRF
seed cookie, read once per request, and the Set-Cookie lines an answer sends."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable

from occi_server.errors import Forbidden
from occi_server.http.messages import HttpRequest

SIGN_IN_COOKIE = "occi_session"
CSRF_COOKIE = "occi_csrf"
# What a pasted token may hold: it goes into a cookie value and an HTTP header verbatim.
TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]{1,4096}")


class SignIn:
    """The browser's two cookies, read once per request, and the Set-Cookie lines to send."""

    def __init__(self, token: str, seed: str, secure: bool) -> None:
        self.token = token
        self.seed = seed
        self.secure = secure
        self.set_cookies: list[tuple[str, str]] = []

    @classmethod
    def of(cls, request: HttpRequest) -> SignIn:
        jar = parse_cookies(v for n, v in request.headers if n == "cookie")
        token = jar.get(SIGN_IN_COOKIE, "")
        sign_in = cls(
            token if TOKEN.fullmatch(token) else "",
            jar.get(CSRF_COOKIE, ""),
            request.base_url.startswith("https:"),
        )
        if not sign_in.seed:
            # First visit: the seed is set with the first page, whose forms are derived from it.
            sign_in.seed = secrets.token_urlsafe(32)
            sign_in._set(CSRF_COOKIE, sign_in.seed, None)
        return sign_in

    def csrf(self, token: str) -> str:
        mac = hmac.new(self.seed.encode(), b"occi-console:" + token.encode(), hashlib.sha256)
        return mac.hexdigest()

    @staticmethod
    def check_csrf(sent: str, expected: str) -> None:
        if not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
            raise Forbidden("form: missing or invalid CSRF token; reload the page and retry")

    def start(self, token: str, seconds: int) -> None:
        self.token = token
        self._set(SIGN_IN_COOKIE, token, seconds)

    def end(self) -> None:
        self.token = ""
        self._set(SIGN_IN_COOKIE, "", 0)

    def _set(self, name: str, value: str, max_age: int | None) -> None:
        # HttpOnly: no script reads them; SameSite=Strict: no other site's page sends them.
        cookie = f"{name}={value}; Path=/; HttpOnly; SameSite=Strict"
        if max_age is not None:
            cookie += f"; Max-Age={max_age}"
        if self.secure:
            cookie += "; Secure"
        self.set_cookies.append(("Set-Cookie", cookie))


def parse_cookies(headers: Iterable[str]) -> dict[str, str]:
    """`a=1; b=2` (from every Cookie header); the first of a repeated name wins, as browsers
    send the most specific path first."""
    jar: dict[str, str] = {}
    for header in headers:
        for part in header.split(";"):
            name, sep, value = part.strip().partition("=")
            if sep and name and name not in jar:
                jar[name] = value.strip().strip('"')
    return jar
