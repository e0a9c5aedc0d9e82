"""The seed walkthrough's curl lines, byte for byte, run by bash and curl against the real server.

tests/e2e/seed_curl_lines.txt holds the lines as the seed writes them. Each is run exactly as a
user would paste it, with the seed's variables ($KID, $TEN_ID, $OS_USER, $VM, $VOL, ...) in the
environment; curl is only told where `localhost:8787` is (`--connect-to`, so the request
itself, Host header included, is the seed's) and where to leave the answer. What cannot work as
written is listed in docs/walkthrough.md and asserted here as what it does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.server import ServerProcess

HERE = Path(__file__).parent
LINES = [
    line
    for line in (HERE / "seed_curl_lines.txt").read_text().splitlines()
    if line.startswith("curl ")
]
# The seed's steps, in its order (its section titles, shortened).
STEPS = (
    "discover", "create_vm", "list_vms", "get_vm", "stop", "start",
    "create_volume", "get_volume", "link_volume", "get_link", "unlink", "delete_volume",
    "scale_up", "confirm_up", "scale_down", "confirm_down", "delete_vm", "change_os",
    "create_group", "list_groups", "create_rule", "list_group", "get_rule", "delete_rule",
    "delete_group", "secured_vm", "list_pools", "alloc_float_ip", "dealloc_float_ip",
    "chg_pwd", "create_image", "create_network", "get_network", "attach_network",
    "delete_network",
)  # fmt: skip
STEP_LINES = dict(zip(STEPS, LINES, strict=True))
SEED_NAME = "000_fba4c9aa3df919b3.txt"
# The seed lives in shared/ beside the repository (CI lays a copy there).
SEED_PLACES = [
    HERE.parents[2] / "shared" / "seed" / SEED_NAME,
    Path("/work/shared/seed", SEED_NAME),
]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # lower-cased names; repeated headers joined by ", "
    body: str

    def tail(self) -> str:
        """The id at the end of the Location header (what the seed tells the user to export)."""
        return self.headers["location"].rsplit("/", 1)[1]


class Seed:
    def __init__(self, server: ServerProcess, token: str, tmp: Path) -> None:
        self.port = server.port
        self.tmp = tmp
        self.env = {"KID": token, "TEN_ID": "seed-lines", "OS_USER": "alice"}

    def run(self, step: str, **variables: str) -> Answer:
        """Run the seed's line of `step` as written, with the seed's variables set."""
        self.env.update(variables)
        headers, body = self.tmp / "headers", self.tmp / "body"
        for path in (headers, body):
            path.write_bytes(b"")
        wrapper = (
            "curl() { command curl -sS --connect-to "
            f"localhost:8787:127.0.0.1:{self.port} "
            f'-D {headers} -o {body} "$@"; }}\n'
        )
        result = subprocess.run(
            ["bash", "-c", wrapper + STEP_LINES[step]],
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **self.env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        blocks = headers.read_bytes().decode("utf-8").strip().split("\r\n\r\n")
        status_line, *fields = blocks[-1].split("\r\n")
        parsed: dict[str, str] = {}
        for field in fields:
            name, _, value = field.partition(":")
            key = name.strip().lower()
            parsed[key] = f"{parsed[key]}, {value.strip()}" if key in parsed else value.strip()
        return Answer(int(status_line.split()[1]), parsed, body.read_bytes().decode("utf-8"))


@pytest.fixture
def seed(server: ServerProcess, token_factory: Callable[[str], str], tmp_path: Path) -> Seed:
    if shutil.which("curl") is None:
        pytest.fail("curl is needed to run the seed's lines (scripts/system-deps installs it)")
    return Seed(server, token_factory("seed-lines"), tmp_path)


def test_the_copy_is_the_seed_byte_for_byte() -> None:
    seed = next((p for p in SEED_PLACES if p.exists()), None)
    if seed is None:
        pytest.skip("shared/seed is not beside this checkout")
    written = [line for line in seed.read_text().splitlines() if line.startswith("curl ")]
    assert [line for line in written if ":35357/" not in line] == LINES
    assert len(LINES) == 35


def _new_vm(seed: Seed) -> str:
    created = seed.run("create_vm")
    assert created.status == 201, created.body
    return created.tail()


def test_seed_compute_storage_and_resize(seed: Seed) -> None:
    assert seed.run("discover").status == 200
    vm = _new_vm(seed)
    listing = seed.run("list_vms", VM=vm)
    # Content-Type text/occi, but no Accept (curl sends */*): answers are text/plain.
    assert f"X-OCCI-Location: http://localhost:8787/compute/{vm}" in listing.body
    assert seed.run("get_vm").status == 200
    assert seed.run("stop").status == 200
    assert seed.run("start").status == 200
    volume = seed.run("create_volume")
    assert volume.status == 201, volume.body
    assert seed.run("get_volume", VOL=volume.tail()).status == 200
    link = seed.run("link_volume")
    assert link.status == 201, link.body
    assert seed.run("get_link", VOL_LINK=link.tail()).status == 200
    assert seed.run("unlink").status == 200
    assert seed.run("delete_volume").status == 200
    assert seed.run("scale_up").status == 200
    assert seed.run("confirm_up").status == 200
    assert seed.run("scale_down").status == 200
    assert seed.run("confirm_down").status == 200
    assert seed.run("delete_vm").status == 200
    # Change the OS: the seed does it to the VM it has just deleted; on a fresh one it works.
    assert seed.run("change_os").status == 404
    assert seed.run("change_os", VM=_new_vm(seed)).status == 200


def test_seed_security_groups(seed: Seed) -> None:
    assert seed.run("create_group").status == 200
    groups = seed.run("list_groups")
    assert 'my_grp; scheme="http://www.mystuff.org/sec#"' in groups.body
    rule = seed.run("create_rule")
    assert rule.status == 201, rule.body
    assert rule.tail() in seed.run("list_group").body
    details = seed.run("get_rule", RULE=rule.tail())
    assert 'occi.network.security.protocol="tcp"' in details.body
    assert seed.run("delete_rule").status == 200
    assert seed.run("delete_group").status == 200
    # The secured VM: the seed creates it after deleting the group; with the group back it works.
    assert seed.run("secured_vm").status == 400
    assert seed.run("create_group").status == 200
    assert seed.run("secured_vm").status == 201


def test_seed_floating_ips_password_and_image(seed: Seed) -> None:
    vm = _new_vm(seed)
    assert "floatingippool" in seed.run("list_pools").body
    assert seed.run("alloc_float_ip", VM=vm).status == 200
    assert seed.run("dealloc_float_ip").status == 200
    assert seed.run("chg_pwd").status == 200
    # create_image as written: its Category has an unbalanced quote; the query names the action.
    image = seed.run("create_image")
    assert image.status == 200, image.body
    assert "awesome_ware" in image.body
    assert image.headers["warning"].startswith('199 occi-server "ignored category header')


def test_seed_networks(seed: Seed) -> None:
    vm = _new_vm(seed)
    network = seed.run("create_network", VM=vm)
    assert network.status == 201, network.body
    net = network.tail()
    # The seed exports $NET but reads $NET_ID: as written, the GET lists the networks instead.
    as_written = seed.run("get_network", NET=net, NET_ID="")
    assert "X-OCCI-Location: http://localhost:8787/network/public" in as_written.body
    detail = seed.run("get_network", NET_ID=net)
    assert detail.status == 200
    # `-H 'occi.network.label="www"'` has no header name: curl sends nothing, so no label.
    assert f'occi.core.id="{net}"' in detail.body
    assert "occi.network.label" not in detail.body
    attach = seed.run("attach_network")
    assert attach.status == 201, attach.body
    assert seed.run("delete_network").status == 200
