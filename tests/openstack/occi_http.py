"""A small OCCI client over httpx for the OpenStack tier's own tests (text/occi in, any out)."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from tests.openstack.conftest import OpenStackServer
from tests.support.occi_client import Parsed, parse

JSON = "application/occi+json"


class Occi:
    def __init__(self, server: OpenStackServer, token: str) -> None:
        self.http = httpx.Client(base_url=server.url, headers={"X-Auth-Token": token}, timeout=120)

    def post(self, path: str, *categories: str, attributes: tuple[str, ...] = ()) -> str:
        """POST text/occi; the path of what the 201 names."""
        headers = [("Content-Type", "text/occi"), *(("Category", c) for c in categories)]
        headers += [("X-OCCI-Attribute", a) for a in attributes]
        answer = self.http.post(path, headers=headers)
        assert answer.status_code == 201, answer.text
        return "/" + answer.headers["location"].split("/", 3)[3]

    def read(self, path: str) -> tuple[int, Parsed]:
        answer = self.http.get(path, headers={"Accept": "text/plain"})
        return answer.status_code, parse(answer)

    def listing(self, path: str, accept: str, **params: str) -> list[str]:
        """The locations of a listing, as paths, in the order given."""
        answer = self.http.get(path, headers={"Accept": accept}, params=params)
        assert answer.status_code == 200, answer.text
        if accept == "text/uri-list":
            urls = answer.text.split()
        elif accept == JSON:
            urls = [e["location"] for e in answer.json().get("resources", [])]
        else:
            urls = parse(answer).locations
        return ["/" + u.split("/", 3)[3] if u.startswith("http") else u for u in urls]


def until(check: Callable[[], bool], what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what}: not within {timeout}s"
        time.sleep(0.3)
