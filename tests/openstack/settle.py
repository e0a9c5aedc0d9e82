"""An OcciClient for OpenStack's asynchronous operations, which cleans up after itself.

OpenStack answers when it has accepted a request, and the state shows the progress (BUILD,
creating, attaching, powering-off...). Tests written for the embedded cloud expect the result at
once, so this client waits, boundedly, until what it just created or acted on has settled.
Everything it created is deleted at the end, so repeated runs fit the projects' quotas.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import httpx

from tests.support.occi_client import OcciClient, parse

SETTLE_SECONDS = 90.0
# Nova and Cinder statuses that are on their way somewhere else.
_BUSY_SERVER = {"BUILD", "REBUILD", "RESIZE", "MIGRATING", "REBOOT", "HARD_REBOOT"}
_BUSY_VOLUME = {"creating", "downloading", "attaching", "detaching", "extending", "reserved"}


@dataclass
class SettlingClient(OcciClient):
    created: list[str] = field(default_factory=list)

    def request(self, method: str, path: str, **kw: object) -> httpx.Response:  # type: ignore[override]
        response = super().request(method, path, **kw)  # type: ignore[arg-type]
        if method == "POST" and response.status_code == 201:
            made = "/" + response.headers["location"].split("/", 3)[3]
            self.created.append(made)
            self.settle(made)
        elif method in ("POST", "PUT") and response.status_code == 200 and path != "/-/":
            self.settle(path)  # an action, a resize or a rebuild: wait for the state to show it
        return response

    def settle(self, path: str, timeout: float = SETTLE_SECONDS) -> None:
        """Wait until the entity at `path` is no longer in a transitional OpenStack state."""
        deadline = time.monotonic() + timeout
        while not self._settled(path):
            assert time.monotonic() < deadline, f"{path} did not settle in {timeout}s"
            time.sleep(0.3)

    def _settled(self, path: str) -> bool:
        response = self._plain("GET", path)
        if response.status_code != 200:
            return response.status_code == 404  # gone is settled too
        got = parse(response)
        if path.startswith("/compute/"):
            status = got.attr("org.openstack.compute.state") or ""
            busy = status in _BUSY_SERVER or got.attr("occi.compute.state.message") is not None
            return status == "ERROR" or not busy
        if path.startswith("/storage/link/"):
            return got.attr("occi.storagelink.state") == "active"
        if path.startswith("/storage/"):
            return got.attr("org.openstack.storage.state") not in _BUSY_VOLUME
        return True

    def _plain(self, method: str, path: str) -> httpx.Response:
        url = path if path.startswith("http") else self.base + path
        headers = {"Accept": "text/plain", "X-Auth-Token": self.token or ""}
        return httpx.request(method, url, headers=headers, timeout=60)

    def cleanup(self, timeout: float = SETTLE_SECONDS) -> list[str]:
        """Delete what this client made: links, then computes, then what they used (storage and
        networks stay in use until Nova has let go of them, so those are retried). Returns
        what could not be deleted."""
        order = ("/storage/link/", "/networklink/", "/compute/", "/storage/", "/network/")
        pending = sorted(
            set(self.created),
            key=lambda p: next(i for i, o in enumerate((*order, "/")) if p.startswith(o)),
        )
        deadline = time.monotonic() + timeout
        while pending and time.monotonic() < deadline:
            pending = [
                p for p in pending if self._plain("DELETE", p).status_code not in (200, 204, 404)
            ]
            if pending:
                time.sleep(0.5)
        self.created.clear()
        return pending
