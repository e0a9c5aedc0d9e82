"""/healthz (the process answers) and /readyz (what it depends on answers), for load balancers
and orchestrators: no authentication, small JSON bodies, 200 or 503.

/readyz asks the backend (the database and its migration; or Keystone and each OpenStack
service) and the authenticator (Keystone, with --auth keystone). Its answer is kept for
`health.cache_seconds`, so a probe every second costs one check per few seconds, and one check
runs at a time however many probes arrive together.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence

from occi_server.config import HealthConfig

Check = Callable[[float], dict[str, str | None]]
LIVE = json.dumps({"status": "ok"}).encode()


class Readiness:
    def __init__(self, checks: Sequence[Check], settings: HealthConfig) -> None:
        self._checks = list(checks)
        self._settings = settings
        self._lock = threading.Lock()
        self._answer: tuple[float, int, bytes] | None = None

    def answer(self) -> tuple[int, bytes]:
        """(200 or 503, the JSON body naming each dependency and what is wrong with it)."""
        with self._lock:
            now = time.monotonic()
            if self._answer is None or self._answer[0] <= now:
                status, body = self._check()
                self._answer = (time.monotonic() + self._settings.cache_seconds, status, body)
            return self._answer[1], self._answer[2]

    def _check(self) -> tuple[int, bytes]:
        found: dict[str, str | None] = {}
        for check in self._checks:
            try:
                found.update(check(self._settings.timeout_seconds))
            except Exception as error:  # a check that breaks is a dependency that is down
                found[getattr(check, "__qualname__", "check")] = (
                    f"check failed ({type(error).__name__})"
                )
        down = {name: problem for name, problem in found.items() if problem is not None}
        body: dict[str, object] = {
            "status": "unavailable" if down else "ok",
            "checks": {name: problem or "ok" for name, problem in found.items()},
        }
        if down:
            body["down"] = sorted(down)
        return (503 if down else 200), json.dumps(body).encode()
