"""Password checks (HTTP Basic, the console's sign-in) that cost a stranger little to refuse.

A password check is ~60 ms of scrypt. So:
- a successful check is cached briefly (like a token), keyed by an HMAC of the user name,
  password and project hint under a key of this process, so a client sending the same Basic
  credentials on every request pays scrypt once per `cache_seconds`;
- failures are counted per source address and per user name over a sliding window; past
  `failures` of either, further attempts are refused with 429 and Retry-After *before* any
  scrypt runs (a cached success still passes, so a signed-in user is not locked out by a
  stranger guessing their password);
- an attempt counts as a failure while it runs, so parallel guesses cannot all slip under the
  limit before the first one fails.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

from cachetools import TTLCache

from occi_server.errors import TooManyRequests
from occi_server.identity.store import Identity, IdentityStore


class FailureCounter:
    """Failures per key over a sliding window (thread-safe; at most `size` keys kept)."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float], size: int = 65_536
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._seen: TTLCache[str, deque[float]] = TTLCache(maxsize=size, ttl=window, timer=clock)
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> float:
        """Seconds until `key` may try again; 0 when it may now."""
        now = self.clock()
        with self._lock:
            times = self._seen.get(key)
            if times is None:
                return 0.0
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) < self.limit:
                return 0.0
            return times[0] + self.window - now

    def add(self, key: str) -> None:
        with self._lock:
            times = self._seen.get(key)
            if times is None:
                times = deque()
            times.append(self.clock())
            self._seen[key] = times  # refreshes the entry's time to live

    def forgive(self, key: str) -> None:
        """Take back the latest failure of `key` (the attempt turned out right)."""
        with self._lock:
            times = self._seen.get(key)
            if times:
                times.pop()


class PasswordGate:
    def __init__(
        self,
        store: IdentityStore,
        *,
        cache_seconds: float = 30.0,
        failures: int = 10,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self._key = secrets.token_bytes(32)
        self._ok: TTLCache[bytes, Identity] = TTLCache(maxsize=4096, ttl=cache_seconds, timer=clock)
        self._lock = threading.Lock()
        self._by_user = FailureCounter(failures, window, clock)
        self._by_source = FailureCounter(failures, window, clock)

    def _digest(self, user: str, password: str, project: str | None) -> bytes:
        text = "\0".join((user, password, project or ""))
        return hmac.new(self._key, text.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()

    def cached(self, user: str, password: str, project: str | None) -> Identity | None:
        """The identity of credentials that passed a check within `cache_seconds`."""
        with self._lock:
            return self._ok.get(self._digest(user, password, project))

    def check(self, user: str, password: str, project: str | None, source: str) -> Identity | None:
        """The identity, None for wrong credentials; TooManyRequests past the failure limit."""
        digest = self._digest(user, password, project)
        with self._lock:
            found = self._ok.get(digest)
        if found is not None:
            return found
        keys = ((self._by_source, "source " + source), (self._by_user, "user " + user))
        wait = max(counter.retry_after(key) for counter, key in keys)
        if wait > 0:
            raise TooManyRequests(
                "too many failed password attempts from this address or for this user; "
                f"retry in {math.ceil(wait)} s",
                retry_after=math.ceil(wait),
            )
        for counter, key in keys:
            counter.add(key)
        found = self.store.authenticate_basic(user, password, project)
        if found is not None:
            for counter, key in keys:
                counter.forgive(key)
            with self._lock:
                self._ok[digest] = found
        return found

    def forget(self, user: str, password: str, project: str | None) -> None:
        with self._lock:
            self._ok.pop(self._digest(user, password, project), None)
