"""Cross-site requests: what a browser sends on another site's behalf is refused.

A page of another site can make a browser send a form post (`text/plain`, urlencoded or
multipart bodies, which the OCCI text parsers read) carrying whatever credentials the browser
holds for this server: cached HTTP Basic credentials as well as cookies, and, under
`--auth none`, nothing at all. Browsers say where such a request comes from: `Sec-Fetch-Site`
(`cross-site` / `same-site`), `Origin`, or at least `Referer`. An unsafe request whose origin
is not this server's is refused with 403 before anything else, whatever authenticates it.
Clients that are not browsers send none of these headers and are not affected.

The console's own pages additionally get headers that keep them out of frames and stop
content sniffing (`console_headers`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from occi_server.errors import Forbidden

SAFE = ("GET", "HEAD", "OPTIONS")
CONSOLE_HEADERS = [
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'",
    ),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
]


def _origin(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def cross_site(method: str, header: dict[str, str], base_url: str) -> Forbidden | None:
    """The refusal for an unsafe request a browser sent from another origin, else None."""
    if method in SAFE:
        return None
    fetch_site = header.get("sec-fetch-site", "").strip().lower()
    if fetch_site in ("cross-site", "same-site"):
        return Forbidden(f"Sec-Fetch-Site: {fetch_site} requests may not change anything here")
    own = _origin(base_url)
    origin = header.get("origin")
    if origin is not None:
        if origin.strip().lower() == "null" or _origin(origin.strip()) != own:
            return Forbidden(f"Origin: {origin[:80]!r} is not this server ({own})")
        return None
    referer = header.get("referer")
    if referer is not None and _origin(referer.strip()) != own:
        return Forbidden(f"Referer: {referer[:80]!r} is not a page of this server ({own})")
    return None
