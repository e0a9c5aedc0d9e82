"""The OpenStack tier: runs only when scripts/openstack-testbed is up.

The test bed's work dir ($OCCI_TESTBED_DIR, default /tmp/occi-testbed) holds testbed.env. Without
it the tier is skipped, unless OCCI_REQUIRE_OPENSTACK=1 (CI), where a missing test bed fails.
tests/openstack/unit/ always runs (mocked HTTP).

Tests that take OpenStack down (they ask for the `outage` fixture) hold an exclusive lock across
xdist workers; every other test holds it shared, so no test ever sees another's outage.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.support.server import free_port

TESTBED = Path(os.environ.get("OCCI_TESTBED_DIR", "/tmp/occi-testbed"))
REQUIRED = os.environ.get("OCCI_REQUIRE_OPENSTACK") == "1"
LOCKS = Path(tempfile.gettempdir())


@contextmanager
def tier_lock(name: str, *, exclusive: bool) -> Iterator[None]:
    """A lock shared by the xdist workers. Takers queue at a turnstile first, so a waiting
    exclusive taker is not starved by shared takers that come and go between tests."""
    with (
        open(LOCKS / f"occi-openstack-{name}.turn", "a+") as turn,
        open(LOCKS / f"occi-openstack-{name}.lock", "a+") as lock,
    ):
        fcntl.flock(turn, fcntl.LOCK_EX)
        fcntl.flock(lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        fcntl.flock(turn, fcntl.LOCK_UN)
        yield  # closing the files releases the lock


@pytest.fixture(autouse=True)
def _outages_alone(request: pytest.FixtureRequest) -> Iterator[None]:
    with tier_lock("outage", exclusive="outage" in request.fixturenames):
        yield


@pytest.fixture
def outage() -> None:
    """Marks a test that stops an OpenStack service: it runs alone (see _outages_alone)."""


def read_env(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


@pytest.fixture(scope="session")
def testbed() -> dict[str, str]:
    env_file = TESTBED / "testbed.env"
    problem = None
    if not env_file.exists():
        problem = f"no OpenStack test bed ({env_file} missing): run scripts/openstack-testbed up"
    else:
        values = read_env(env_file)
        try:
            httpx.get(values["OS_AUTH_URL"], timeout=5)
        except httpx.TransportError:
            problem = f"the test bed's Keystone ({values['OS_AUTH_URL']}) does not answer"
    if problem:
        if REQUIRED:
            pytest.fail(f"OCCI_REQUIRE_OPENSTACK=1 but {problem}", pytrace=False)
        pytest.skip(problem)
    return values


def keystone_token(env: dict[str, str], number: int = 1) -> str:
    """A project-scoped token of test bed user `number` (1 alice, 2 bob, 3 carol, 4 dave)."""
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": env[f"OCCI_TESTBED_USER{number}"],
                        "domain": {"id": "default"},
                        "password": env[f"OCCI_TESTBED_PASSWORD{number}"],
                    }
                },
            },
            "scope": {
                "project": {
                    "name": env[f"OCCI_TESTBED_PROJECT{number}"],
                    "domain": {"id": "default"},
                }
            },
        }
    }
    response = httpx.post(env["OS_AUTH_URL"] + "/auth/tokens", json=body, timeout=30)
    response.raise_for_status()
    return response.headers["x-subject-token"]


@dataclass
class OpenStackServer:
    env: dict[str, str]
    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    def start(self) -> OpenStackServer:
        command = [
            sys.executable,
            "-m",
            "tests.openstack.launch",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--backend",
            "openstack",
            "--auth",
            "keystone",
        ]
        # The output goes to a file: a pipe nobody reads fills (64 KB of access-log lines) and
        # then blocks the server on its next write.
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("a", encoding="utf-8")
        self.process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            env={
                **os.environ,
                **self.env,
                "OCCI_DATA_DIR": str(self.data_dir),
                "OCCI_OPENSTACK_TIMEOUT": self.env.get("OCCI_OPENSTACK_TIMEOUT", "5"),
            },
        )
        log.close()  # the child holds its own descriptor
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text(errors='replace')}")
            try:
                httpx.get(self.url + "/-/", timeout=1)
                return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.process.kill()  # never left behind, holding its port
        self.process.wait()
        output = self.log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"server did not start: {output}")

    def stop(self) -> None:
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="session")
def os_server(
    testbed: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OpenStackServer]:
    server = OpenStackServer(testbed, tmp_path_factory.mktemp("occi-openstack")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def alice(testbed: dict[str, str]) -> str:
    return keystone_token(testbed, 1)


@pytest.fixture(scope="session")
def bob(testbed: dict[str, str]) -> str:
    return keystone_token(testbed, 2)
