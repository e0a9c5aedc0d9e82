"""Keystone refusals, project isolation, and OpenStack down -> 503 then recovery."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.openstack.conftest import TESTBED, OpenStackServer

NOVA_PORT = 8774  # the test bed's nova-api (scripts/testbed/configs.sh)
NOVA = f"http://127.0.0.1:{NOVA_PORT}/"
STOP_SECONDS = 15.0
START_SECONDS = 120.0  # nova-api loads its app after the fork: 3 to 15 s, more on a busy machine
COMPUTE = 'compute; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind"'
ITSY = 'itsy; scheme="http://schemas.openstack.org/template/resource#"; class="mixin"'
CIRROS = (
    'cirros-0.3.0-x86_64-uec; scheme="http://schemas.openstack.org/template/os#"; class="mixin"'
)


def _get(server: OpenStackServer, path: str, token: str | None, **extra: str) -> httpx.Response:
    headers = {"X-Auth-Token": token} if token else {}
    return httpx.get(server.url + path, headers={**headers, **extra}, timeout=60)


def test_no_or_bad_token_is_401_with_keystone_uri(os_server: OpenStackServer) -> None:
    for token in (None, "gAAAAAB-not-a-token"):
        response = _get(os_server, "/compute/", token)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith(
            "Keystone uri='http://127.0.0.1:5000"
        )


def test_claimed_identity_must_match(os_server: OpenStackServer, alice: str) -> None:
    assert (
        _get(os_server, "/compute/", alice, **{"X-Auth-Tenant-Id": "someone-else"}).status_code
        == 401
    )
    assert _get(os_server, "/compute/", alice, **{"X-Auth-User": "mallory"}).status_code == 401


def test_other_projects_resources_are_404(os_server: OpenStackServer, alice: str, bob: str) -> None:
    created = httpx.post(
        os_server.url + "/compute/",
        headers=[
            ("X-Auth-Token", alice),
            ("Content-Type", "text/occi"),
            ("Category", COMPUTE),
            ("Category", ITSY),
            ("Category", CIRROS),
        ],
        timeout=60,
    )
    assert created.status_code == 201, created.text
    path = "/compute/" + created.headers["location"].rsplit("/", 1)[1]
    other = _get(os_server, path, bob)
    assert other.status_code == 404, other.text
    assert path not in _get(os_server, "/compute/", bob).text
    assert (
        httpx.delete(os_server.url + path, headers={"X-Auth-Token": bob}, timeout=60).status_code
        == 404
    )
    assert (
        httpx.delete(os_server.url + path, headers={"X-Auth-Token": alice}, timeout=60).status_code
        == 200
    )


@dataclass
class NovaApi:
    """The test bed's nova-api: a uWSGI master and its worker, one process group whose leader's
    pid is in run/nova-api.pid. Stopped and started again the way the test bed does it."""

    command: list[str]
    environ: dict[str, str]

    @classmethod
    def of_testbed(cls) -> NovaApi:
        pid = cls.pid()
        assert _live(pid), "the test bed's nova-api is not running"
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:-1]
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        return cls(
            command=[c.decode() for c in command],
            environ=dict(item.decode().split("=", 1) for item in environ if b"=" in item),
        )

    @staticmethod
    def pid() -> int:
        return int((TESTBED / "run" / "nova-api.pid").read_text())

    def stop(self) -> None:
        """SIGTERM to the process group, as `scripts/openstack-testbed down` does; SIGKILL if
        any of it outlives STOP_SECONDS (as a supervisor would). Returns when no process of the
        group is left and Nova's port refuses connections."""
        pgid = self.pid()
        os.killpg(pgid, signal.SIGTERM)
        if not _until(lambda: not _group(pgid), STOP_SECONDS):
            warnings.warn(f"nova-api {_group(pgid)} outlived SIGTERM: killed", stacklevel=2)
            with suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            assert _until(lambda: not _group(pgid), STOP_SECONDS), f"{_group(pgid)} survive"
        assert _until(lambda: _refused(NOVA_PORT), STOP_SECONDS), "Nova's port stays open"

    def start(self) -> None:
        with open(TESTBED / "log" / "nova-api-uwsgi.log", "ab") as log:
            started = subprocess.Popen(
                self.command,
                env=self.environ,
                stdout=log,
                stderr=log,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        (TESTBED / "run" / "nova-api.pid").write_text(str(started.pid))

    def restore(self) -> None:
        """Nova answering again, whatever state a test left it in (stopped or gone)."""
        if _group(self.pid()):
            with suppress(ProcessLookupError):
                os.killpg(self.pid(), signal.SIGCONT)
        else:
            self.start()
        assert _until(_nova_answers, START_SECONDS), "nova-api did not come back"


@pytest.fixture
def nova_api(outage: None) -> Iterator[NovaApi]:
    """The test bed's nova-api, for a test that stops it. However the test ends, Nova answers
    again before the next test runs (this teardown runs inside the outage lock)."""
    nova = NovaApi.of_testbed()
    try:
        yield nova
    finally:
        nova.restore()


def test_nova_down_is_503_then_recovers(
    os_server: OpenStackServer, alice: str, nova_api: NovaApi
) -> None:
    """Nova hung (SIGSTOP), then Nova stopped and started again (SIGTERM): 503, then 200.

    One test, in this order: the hung case must stop the test bed's own nova-api, never one
    restarted by this process (a stopped child of a live parent behaves differently). In both
    cases Nova itself is first shown not to answer, so a 200 cannot hide behind a Nova that is
    still up."""
    _nova_hung(os_server, alice)
    _nova_stopped(os_server, alice, nova_api)


def _nova_hung(os_server: OpenStackServer, alice: str) -> None:
    """The compute listing always asks Nova (servers are never cached)."""
    pid = NovaApi.pid()
    os.killpg(pid, signal.SIGSTOP)
    try:
        with pytest.raises(httpx.TimeoutException):
            httpx.get(NOVA, timeout=2)
        response = _get(os_server, "/compute/", alice)
    finally:
        os.killpg(pid, signal.SIGCONT)
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    _until_ok(os_server, "/compute/", alice)


def _nova_stopped(os_server: OpenStackServer, alice: str, nova: NovaApi) -> None:
    """Stop nova-api, see 503, start it again the way the test bed does, see 200."""
    nova.stop()
    try:
        with pytest.raises(httpx.ConnectError):
            httpx.get(NOVA, timeout=2)
        response = _get(os_server, "/compute/", alice)
        assert response.status_code == 503, response.text
        assert int(response.headers["retry-after"]) > 0
    finally:
        nova.start()
    assert _until(_nova_answers, START_SECONDS), "nova-api did not come back"
    _until_ok(os_server, "/compute/", alice)


def _until_ok(server: OpenStackServer, path: str, token: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while (status := _get(server, path, token).status_code) != 200:
        assert time.monotonic() < deadline, f"no recovery: still {status}"
        time.sleep(0.5)


def _until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _live(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


def _group(pgid: int) -> list[int]:
    """The live (not zombie) processes of process group `pgid`."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            members.append(int(stat.parent.name))
    return members


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    return False


def _nova_answers() -> bool:
    try:
        return httpx.get(NOVA, timeout=2).status_code == 200
    except httpx.TransportError:
        return False
