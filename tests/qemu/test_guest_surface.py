"""What a QEMU cloud offers around its guests: images imported for every project, power states
the guest changes by itself, pausing, the guest agent's absence, what is not advertised, and
whose console a client may read."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import httpx
import pytest

from tests.qemu.support import STATUS, settled, wait_console, wait_status
from tests.support.occi_client import COMPUTE_KIND, OcciClient
from tests.support.server import ServerProcess, cli

OS = "http://schemas.openstack.org/template/os#"
RESOURCE = "http://schemas.openstack.org/template/resource#"
ACTION = "http://schemas.ogf.org/occi/infrastructure/compute/action#"
NOVA_ACTION = "http://schemas.openstack.org/instance/action#"
OS_USER_DATA = "http://schemas.openstack.org/compute/instance#"


def _mixin(term: str, scheme: str) -> str:
    return f'{term}; scheme="{scheme}"; class="mixin"'


def _action(term: str, scheme: str = ACTION) -> str:
    return f'{term}; scheme="{scheme}"; class="action"'


@pytest.fixture(scope="module")
def imported(qemu_server: ServerProcess, guest_image: Path) -> str:
    """The guest image imported while the server runs: an OS template of every project."""
    out = cli(
        "image", "import", str(guest_image), "--name", "Imported Busybox",
        "--database", qemu_server.database,
        env={"OCCI_DATA_DIR": str(qemu_server.data_dir),
             "OCCI_CONFIG": str(qemu_server.data_dir / "occi.toml")},
    )  # fmt: skip
    assert "os#Imported_Busybox" in out
    return "Imported_Busybox"


@pytest.fixture(scope="module")
def alice(qemu_server: ServerProcess) -> OcciClient:
    return OcciClient(qemu_server.url, qemu_server.token("qemu-alice"))


@pytest.fixture(scope="module")
def bob(qemu_server: ServerProcess) -> OcciClient:
    return OcciClient(qemu_server.url, qemu_server.token("qemu-bob"))


@pytest.fixture(scope="module")
def running(alice: OcciClient, imported: str) -> str:
    """A guest booted from the imported image, left running for the tests below."""
    vm = alice.create(
        "/compute/", categories=[COMPUTE_KIND, _mixin("itsy", RESOURCE), _mixin(imported, OS)]
    )
    wait_status(alice, vm, "ACTIVE")
    wait_console(alice, vm, "occi-guest: ready")
    return vm


def test_an_imported_image_is_offered_to_every_project(
    alice: OcciClient, bob: OcciClient, imported: str
) -> None:
    for client in (alice, bob):
        assert f'{imported}; scheme="{OS}"' in client.get("/-/").text


def test_a_guest_boots_from_the_imported_image(alice: OcciClient, running: str) -> None:
    assert settled(alice, running)[STATUS] == "ACTIVE"


def test_a_guest_that_powers_itself_off_is_seen_shut_off(alice: OcciClient) -> None:
    script = "#!/bin/sh\necho going down by myself\nsync\npoweroff -f\n"
    vm = alice.create(
        "/compute/",
        categories=[COMPUTE_KIND, _mixin("itsy", RESOURCE), _mixin("user_data", OS_USER_DATA)],
        attributes=[
            f'org.openstack.compute.user_data="{base64.b64encode(script.encode()).decode()}"'
        ],
    )
    wait_console(alice, vm, "going down by myself")
    attributes = wait_status(alice, vm, "SHUTOFF")
    assert attributes["occi.compute.state"] == "inactive"
    assert "reported by the hypervisor" in attributes["occi.compute.state.message"]
    assert alice.delete(vm).status_code == 200


def test_suspend_pauses_the_guest_and_start_resumes_it(alice: OcciClient, running: str) -> None:
    suspend = alice.post(f"{running}?action=suspend", categories=[_action("suspend")])
    assert suspend.status_code == 200, suspend.text
    assert wait_status(alice, running, "SUSPENDED")["occi.compute.state"] == "suspended"
    assert alice.post(f"{running}?action=start", categories=[_action("start")]).status_code == 200
    assert wait_status(alice, running, "ACTIVE")[STATUS] == "ACTIVE"


def test_restart_resets_the_guest(alice: OcciClient, running: str) -> None:
    boots = alice.get(running, params={"console": ""}).text.count("occi-guest: booted")
    answer = alice.post(f"{running}?action=restart", categories=[_action("restart")])
    assert answer.status_code == 200, answer.text
    wait_console(alice, running, "occi-guest: booted", count=boots + 1)
    assert wait_status(alice, running, "ACTIVE")[STATUS] == "ACTIVE"


def test_a_network_interface_appears_in_the_guest_with_its_mac(
    alice: OcciClient, running: str
) -> None:
    network = alice.create(
        "/network/",
        categories=['network; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind"'],
        attributes=['occi.network.label="guests"'],
    )
    link = alice.create(
        "/networklink/",
        categories=[
            'networkinterface; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind"'
        ],
        attributes=[f'occi.core.source="{running}"', f'occi.core.target="{network}"'],
    )
    mac = settled(alice, link)["occi.networkinterface.mac"]
    wait_console(alice, running, f"={mac}")
    assert alice.delete(link).status_code == 200
    deadline = time.monotonic() + 60
    while mac in _last_nics(alice.get(running, params={"console": ""}).text):
        assert time.monotonic() < deadline
        time.sleep(0.3)


def test_the_guest_leases_the_address_the_control_plane_allocated(
    alice: OcciClient, running: str
) -> None:
    """Hot-plugged, the interface's DHCP lease is its OCCI address; booted with the interface
    on QEMU's command line (stop, start), the lease is that address again."""
    network = alice.create(
        "/network/",
        categories=[
            'network; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind"',
            _mixin("ipnetwork", "http://schemas.ogf.org/occi/infrastructure/network#"),
        ],
        attributes=[
            'occi.network.address="192.168.57.0/24"',
            'occi.network.gateway="192.168.57.1"',
        ],
    )
    link = alice.create(
        "/networklink/",
        categories=[
            'networkinterface; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind"',
            _mixin(
                "ipnetworkinterface",
                "http://schemas.ogf.org/occi/infrastructure/networkinterface#",
            ),
        ],
        attributes=[
            f'occi.core.source="{running}"',
            f'occi.core.target="{network}"',
            'occi.networkinterface.address="192.168.57.77"',
        ],
    )
    mac = settled(alice, link)["occi.networkinterface.mac"]
    lease = f"={mac} ip=192.168.57.77/24 router=192.168.57.1"  # on whichever ethN
    wait_console(alice, running, lease)
    assert alice.post(f"{running}?action=stop", categories=[_action("stop")]).status_code == 200
    wait_status(alice, running, "SHUTOFF")
    assert alice.post(f"{running}?action=start", categories=[_action("start")]).status_code == 200
    wait_console(alice, running, lease, count=2)
    assert wait_status(alice, running, "ACTIVE")[STATUS] == "ACTIVE"
    # Booted with it, it leaves the guest as a hot-plugged one does.
    assert alice.delete(link).status_code == 200
    deadline = time.monotonic() + 60
    while mac in _last_nics(alice.get(running, params={"console": ""}).text):
        assert time.monotonic() < deadline
        time.sleep(0.3)
    assert settled(alice, running)[STATUS] == "ACTIVE"


def _last_nics(log: str) -> str:
    lines = [line for line in log.splitlines() if line.startswith("occi-guest: nics")]
    return lines[-1] if lines else ""


def test_chg_pwd_without_a_guest_agent_is_a_conflict_that_says_why(
    alice: OcciClient, running: str
) -> None:
    answer = alice.post(
        f"{running}?action=chg_pwd",
        categories=[_action("chg_pwd", NOVA_ACTION)],
        attributes=['org.openstack.credentials.admin_pwd="s3cret-pass"'],
    )
    assert answer.status_code == 409
    assert "guest agent" in answer.text and "qemu-ga" in answer.text
    assert settled(alice, running)[STATUS] == "ACTIVE"


def test_floating_ips_and_security_groups_are_not_advertised(alice: OcciClient) -> None:
    query = alice.get("/-/").text
    assert "floatingippool" not in query
    assert "alloc_float_ip" not in query
    assert "security#group" not in query
    assert "network/security#" not in query


def test_only_the_owner_reads_a_console_log(
    alice: OcciClient, bob: OcciClient, running: str
) -> None:
    assert "occi-guest: ready" in alice.get(running, params={"console": ""}).text
    assert bob.get(running, params={"console": ""}).status_code == 404
    volume = alice.create(
        "/storage/",
        categories=['storage; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind"'],
        attributes=["occi.storage.size=0.01"],
    )
    assert alice.get(volume, params={"console": ""}).status_code == 404


def test_the_compute_page_of_the_html_console_shows_the_serial_log(
    alice: OcciClient, running: str
) -> None:
    page = httpx.get(
        alice.base + running,
        headers={"X-Auth-Token": alice.token, "Accept": "text/html"},
        timeout=30,
    )
    assert page.status_code == 200
    log = page.text[page.text.index('<pre class="serial-log"') :]
    log = log[: log.index("</pre>")]
    assert "occi-guest: booted cpus=1" in log and "occi-guest: ready" in log
    assert f'href="{running}?console"' in page.text


def test_deleting_the_running_guest_ends_it(alice: OcciClient, running: str,
                                            qemu_server: ServerProcess) -> None:  # fmt: skip
    assert alice.delete(running).status_code == 200
    deadline = time.monotonic() + 60
    while list((qemu_server.data_dir / "qemu").glob("*/qemu.pid")):
        assert time.monotonic() < deadline
        time.sleep(0.3)
