"""A CDMI client for the tests, written from the specification (no CDMI client on PyPI runs on
Python 3): plain httpx with the headers the examples use."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.origin import Origin
from tests.support.server import ServerProcess

VERSION = {"X-CDMI-Specification-Version": "1.1.1"}
OBJECT = "application/cdmi-object"
CONTAINER = "application/cdmi-container"
CAPABILITY = "application/cdmi-capability"
MAX_FETCH = 4 << 20  # [remote] max_bytes of the `importing` server


@dataclass
class Cdmi:
    url: str  # the server
    token: str
    project: str = ""

    def __post_init__(self) -> None:
        self.http = httpx.Client(
            base_url=self.url, headers={"X-Auth-Token": self.token}, timeout=60.0
        )
        root = self.http.get("/cdmi/", headers={**VERSION, "Accept": CONTAINER})
        assert root.status_code == 200, root.text
        self.project = root.json()["children"][0].rstrip("/")

    def path(self, container: str, name: str = "") -> str:
        return f"/cdmi/{self.project}/{container}/{name}"

    def get(self, path: str, **headers: str) -> httpx.Response:
        return self.http.get(path, headers=headers)

    def cdmi_get(self, path: str, accept: str = OBJECT) -> dict[str, Any]:
        response = self.http.get(path, headers={**VERSION, "Accept": accept})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == accept
        body: dict[str, Any] = response.json()
        return body

    def put(self, path: str, content: bytes, **headers: str) -> httpx.Response:
        return self.http.put(path, content=content, headers=headers)

    def cdmi_put(self, path: str, body: dict[str, Any]) -> httpx.Response:
        headers = {**VERSION, "Accept": OBJECT, "Content-Type": OBJECT}
        return self.http.put(path, json=body, headers=headers)

    def occi(self, method: str, path: str, **headers: str) -> httpx.Response:
        return self.http.request(
            method, path, headers={"Accept": "application/occi+json", **headers}
        )


@pytest.fixture(scope="session")
def tokens(server: ServerProcess) -> Callable[[str], str]:
    """Tokens minted in the server's own identity store, in-process (ServerProcess.token)."""
    return server.token


@pytest.fixture
def cdmi(server: ServerProcess, tokens: Callable[[str], str]) -> Cdmi:
    """A client in a project of its own (each test sees only what it made)."""
    return Cdmi(server.url, tokens(f"cdmi-{uuid.uuid4().hex[:8]}"))


@pytest.fixture(scope="session")
def importing(tmp_path_factory: pytest.TempPathFactory, origin: Origin) -> Iterator[ServerProcess]:
    """A server of its own that may fetch from `origin`'s /cdmi/shared/ (and whose catalogue
    images no other test sees)."""
    data = tmp_path_factory.mktemp("imports")
    config = data / "occi.toml"
    config.write_text(
        f'[remote]\nallowed = ["{origin.url("/cdmi/shared/")}"]\nmax_bytes = {MAX_FETCH}\n'
        "read_timeout = 2.0\nconnect_timeout = 2.0\n"
    )
    process = ServerProcess(data_dir=data, env={"OCCI_CONFIG": str(config)}).start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def mint(importing: ServerProcess) -> Callable[[str], str]:
    """Tokens of the importing server, minted in-process (ServerProcess.token)."""
    return importing.token
