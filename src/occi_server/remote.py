"""Bytes the cloud fetches from other servers: an external CDMI object a storagelink targets, the
disk files an OVF descriptor names by URL ([remote] in the configuration, docs/configuration.md).

Only URLs under a prefix the operator allows are fetched (none by default): same scheme, host
and port, and a path inside the prefix's path. Userinfo, dot segments and redirects are
refused, proxies from the environment are not used. A fetch is one streamed GET (httpx) into a
file, bounded by a byte cap (checked against Content-Length first, then while reading), a
connect timeout, a timeout between chunks and a deadline for the whole transfer. It runs on
the caller's thread: callers are background jobs, never a request.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, unquote, urlsplit

import httpx

if TYPE_CHECKING:
    from occi_server.config import RemoteConfig

_CHUNK = 1 << 20
_PORTS = {"http": 80, "https": 443}


class FetchError(Exception):
    """A fetch was refused or failed; the message names the URL and why."""


@dataclass(frozen=True, slots=True)
class Prefix:
    scheme: str
    host: str
    port: int
    path: str  # without a trailing slash ("" = the whole server)

    def holds(self, url: Prefix) -> bool:
        same_server = (self.scheme, self.host, self.port) == (url.scheme, url.host, url.port)
        inside = not self.path or url.path == self.path or url.path.startswith(self.path + "/")
        return same_server and inside


def _split(text: str) -> tuple[SplitResult, Prefix]:
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError as error:
        raise ValueError(f"{text[:80]!r} is not a URL ({error})") from None
    if parts.scheme not in _PORTS or not parts.hostname:
        raise ValueError(f"{text[:80]!r} is not an http(s) URL with a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{text[:80]!r} carries credentials (user@host), which are not sent")
    segments = unquote(parts.path).split("/")
    if any(s in (".", "..") for s in segments):
        raise ValueError(f"{text[:80]!r} has '.' or '..' segments in its path")
    path = parts.path.rstrip("/")
    return parts, Prefix(parts.scheme, parts.hostname.lower(), port or _PORTS[parts.scheme], path)


def check_prefix(text: str) -> Prefix:
    """A configured prefix (ValueError saying what is wrong with it)."""
    parts, prefix = _split(text)
    if parts.query or parts.fragment:
        raise ValueError(f"{text[:80]!r}: a prefix has no query or fragment")
    return prefix


class Fetcher:
    def __init__(self, config: RemoteConfig) -> None:
        self.config = config
        self._prefixes = [check_prefix(p) for p in config.allowed]

    def refusal(self, url: str) -> str | None:
        """Why `url` may not be fetched, or None when a configured prefix allows it."""
        try:
            _, wanted = _split(url)
        except ValueError as error:
            return str(error)
        if any(prefix.holds(wanted) for prefix in self._prefixes):
            return None
        if not self._prefixes:
            return f"{url[:200]}: this server fetches from no other server ([remote] allowed)"
        return f"{url[:200]}: not under a prefix this server may fetch from ([remote] allowed)"

    def fetch(
        self,
        url: str,
        target: Path,
        *,
        limit: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """GET `url` into the new file `target`; its size. FetchError (and no file) otherwise."""
        refused = self.refusal(url)
        if refused is not None:
            raise FetchError(refused)
        most = min(limit or self.config.max_bytes, self.config.max_bytes)
        try:
            return self._get(url, target, most, progress)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
            raise

    def _get(
        self, url: str, target: Path, most: int, progress: Callable[[int], None] | None
    ) -> int:
        settings = self.config
        timeout = httpx.Timeout(
            settings.read_timeout, connect=settings.connect_timeout, pool=settings.connect_timeout
        )
        deadline = time.monotonic() + settings.total_timeout
        headers = {"Accept": "application/octet-stream", "Accept-Encoding": "identity"}
        try:
            with (
                httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client,
                client.stream("GET", url, headers=headers) as response,
            ):
                _check_answer(url, response, most)
                return _copy(url, response, target, most, deadline, progress)
        except httpx.TimeoutException as error:
            raise FetchError(f"{url[:200]}: timed out ({type(error).__name__})") from None
        except httpx.HTTPError as error:
            raise FetchError(f"{url[:200]}: {type(error).__name__}: {error}"[:400]) from None


def _check_answer(url: str, response: httpx.Response, most: int) -> None:
    status = response.status_code
    if 300 <= status < 400:
        where = response.headers.get("location", "")[:200]
        raise FetchError(f"{url[:200]}: answered {status}, a redirect (to {where}), not followed")
    if status != 200:
        raise FetchError(f"{url[:200]}: answered HTTP {status}")
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise FetchError(f"{url[:200]}: sent Content-Encoding {encoding[:40]}, not the bytes")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > most:
        raise FetchError(f"{url[:200]}: {declared} bytes, more than the {most} bytes allowed")


def _copy(
    url: str,
    response: httpx.Response,
    target: Path,
    most: int,
    deadline: float,
    progress: Callable[[int], None] | None,
) -> int:
    size = 0
    with open(target, "xb") as out:
        for chunk in response.iter_raw(_CHUNK):
            size += len(chunk)
            if size > most:
                raise FetchError(f"{url[:200]}: more than the {most} bytes allowed")
            if time.monotonic() > deadline:
                raise FetchError(f"{url[:200]}: not done within remote.total_timeout")
            out.write(chunk)
            if progress is not None:
                progress(size)
    return size
