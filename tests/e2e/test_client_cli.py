"""The seed walkthrough again, through the `occi` command, against the real server, in each
rendering (-m text/plain, text/occi, application/occi+json). Most steps call the command's
main() in this process (fast); test_console_script runs the installed `occi` executable."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from occi_client.cli import main
from tests.support.server import ServerProcess

RENDERINGS = ["text/plain", "text/occi", "application/occi+json"]
SEC = "http://schemas.ogf.org/occi/infrastructure/security#group"


class Occi:
    def __init__(
        self, server: ServerProcess, token: str, rendering: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        # `--token=...`: a token may start with "-", which argparse would take for an option
        self.base = [f"--endpoint={server.url}", f"--token={token}", "-m", rendering]
        self.token = token
        self.capsys = capsys

    def __call__(self, *args: str, status: int | tuple[int, ...] = 0) -> str:
        self.capsys.readouterr()
        code = main([*self.base, *args])
        out, err = self.capsys.readouterr()
        wanted = status if isinstance(status, tuple) else (status,)
        assert code in wanted, f"occi {' '.join(args)} -> {code}: {err}"
        return out if status == 0 else err

    def json(self, *args: str) -> Any:
        return json.loads(self("-o", "json", *args))

    def attrs(self, noun: str, ident: str) -> dict[str, Any]:
        entity: dict[str, Any] = self.json(*noun.split(), "show", ident)[0]
        return entity["attributes"]


@pytest.fixture(params=RENDERINGS)
def occi(
    request: pytest.FixtureRequest,
    server: ServerProcess,
    token_factory: Callable[[str], str],
    capsys: pytest.CaptureFixture[str],
) -> Occi:
    project = "cli-" + request.param.replace("/", "-").replace("+", "-")
    return Occi(server, token_factory(project), request.param, capsys)


def test_walkthrough_compute_storage_links(occi: Occi) -> None:
    # See what can be provisioned
    found = occi("discover")
    for needle in (
        "http://schemas.openstack.org/template/resource#itsy",
        "http://schemas.openstack.org/template/resource#bitsy",
        "http://schemas.openstack.org/template/os#cirros-0.3.0-x86_64-uec",
        "http://schemas.openstack.org/network/floatingippool#nova",
        "http://schemas.openstack.org/instance/action#confirm_resize",
    ):
        assert needle in found, needle
    assert "SmartOS" in occi("templates", "os")
    # Create a VM, list VMs, show it
    vm = occi(
        "compute",
        "create",
        "--os-tpl",
        "cirros-0.3.0-x86_64-uec",
        "--resource-tpl",
        "itsy",
        "--name",
        "web",
        "--wait",
    ).strip()
    vm_id = vm.rsplit("/", 1)[1]
    assert vm in occi("compute", "list").split()
    shown = occi.json("compute", "show", vm_id)[0]
    assert "http://schemas.openstack.org/template/resource#itsy" in shown["mixins"]
    assert shown["attributes"]["occi.compute.memory"] == 0.125
    assert shown["attributes"]["occi.core.title"] == "web"
    # Stop (with a parameter), start, each waited for
    occi("compute", "stop", vm_id, "--attribute", "method=graceful", "--wait")
    assert occi.attrs("compute", vm_id)["occi.compute.state"] == "inactive"
    occi("compute", "start", vm_id, "--wait")
    assert occi.attrs("compute", vm_id)["occi.compute.state"] == "active"
    # A volume, linked to the VM and unlinked again
    vol = occi("storage", "create", "--size", "1.0", "--wait").strip()
    assert occi.attrs("storage", vol)["occi.storage.size"] == 1.0
    link = occi(
        "link", "create", vm, vol, "--attribute", "occi.storagelink.deviceid=/dev/vdc"
    ).strip()
    assert "/storage/link/" in link
    shown_link = occi.json("link", "show", link)[0]
    assert shown_link["attributes"]["occi.core.target"].endswith(vol.rsplit("/", 1)[1])
    links = occi.json("compute", "show", vm_id)[0]["links"]
    assert any(link.endswith(x["location"]) for x in links)
    occi("link", "delete", link)
    occi("link", "show", link, status=1)
    occi("storage", "delete", vol)
    assert "404" in occi("storage", "show", vol, status=1)


def test_walkthrough_resize_rebuild_delete(occi: Occi) -> None:
    vm = occi("compute", "create", "--os-tpl", "cirros", "--resource-tpl", "itsy").strip()
    ident = vm.rsplit("/", 1)[1]
    occi("compute", "update", ident, "--mixin", "resource_tpl#bitsy")
    assert occi.attrs("compute", ident)["org.openstack.compute.state"] == "VERIFY_RESIZE"
    occi("compute", "trigger", ident, "confirm_resize")
    attrs = occi.attrs("compute", ident)
    assert attrs["org.openstack.compute.state"] == "ACTIVE"
    assert attrs["occi.compute.memory"] == 0.25
    occi("compute", "update", ident, "--mixin", "resource_tpl#itsy")
    occi("compute", "trigger", ident, "confirm_resize")
    assert occi.attrs("compute", ident)["occi.compute.memory"] == 0.125
    # Change the OS
    occi("compute", "update", ident, "--mixin", "os_tpl#SmartOS")
    mixins = occi.json("compute", "show", ident)[0]["mixins"]
    assert "http://schemas.openstack.org/template/os#SmartOS" in mixins
    assert not any("cirros" in m for m in mixins)
    occi("compute", "delete", ident)
    occi("compute", "show", ident, status=1)


def test_walkthrough_security_groups(occi: Occi) -> None:
    group = "http://www.mystuff.org/sec#my_grp"
    occi(
        "mixin",
        "create",
        "my_grp",
        "--scheme",
        "http://www.mystuff.org/sec#",
        "--location",
        "/mygroups/",
        "--depends",
        SEC,
    )
    listed = occi("discover", SEC)
    assert "my_grp" in listed and "MIXIN: " + SEC in listed
    rule = occi(
        "kind",
        "rule",
        "create",
        "--mixin",
        group,
        "--attribute",
        "occi.network.security.protocol=TCP",
        "--attribute",
        "occi.network.security.to=22",
        "--attribute",
        "occi.network.security.from=22",
        "--attribute",
        "occi.network.security.range=0.0.0.0/24",
    ).strip()
    assert rule in occi("mixin", "members", group).split()
    assert occi.attrs("kind rule", rule)["occi.network.security.protocol"] == "tcp"
    occi("kind", "rule", "delete", rule)
    occi("mixin", "delete", group)
    # A secured VM: the group again, then a VM in it
    occi(
        "mixin",
        "create",
        "my_grp",
        "--scheme",
        "http://www.mystuff.org/sec#",
        "--location",
        "/mygroups/",
        "--depends",
        SEC,
    )
    vm = occi(
        "compute", "create", "--os-tpl", "cirros", "--resource-tpl", "itsy", "--mixin", group
    ).strip()
    assert vm in occi("mixin", "members", group).split()
    # Membership through the mixin's collection: remove, add back
    occi("mixin", "remove", group, vm)
    assert vm not in occi("mixin", "members", group).split()
    occi("mixin", "add", group, vm)
    assert vm in occi("mixin", "members", group).split()
    assert "409" in occi("mixin", "delete", group, status=1)


def test_walkthrough_floating_ip_password_image_network(occi: Occi) -> None:
    vm = occi("compute", "create", "--os-tpl", "cirros", "--resource-tpl", "itsy").strip()
    ident = vm.rsplit("/", 1)[1]
    assert "nova" in occi("discover", "http://schemas.openstack.org/network/floatingippool#nova")
    occi(
        "compute",
        "trigger",
        ident,
        "alloc_float_ip",
        "--attribute",
        "org.openstack.network.floating.pool=nova",
    )
    address = occi.attrs("compute", ident)["org.openstack.network.floating.ip"]
    assert address.startswith("172.24.4.")
    occi("compute", "trigger", ident, "dealloc_float_ip")
    assert "org.openstack.network.floating.ip" not in occi.attrs("compute", ident)
    occi(
        "compute",
        "trigger",
        ident,
        "chg_pwd",
        "--attribute",
        "org.openstack.credentials.admin_pwd=new_pass",
    )
    assert "new_pass" not in occi("compute", "show", ident)
    made = occi.json(
        "compute",
        "trigger",
        ident,
        "create_image",
        "--attribute",
        "org.openstack.snapshot.image_name=awesome_ware",
    )
    assert "awesome_ware" in json.dumps(made)
    assert "awesome_ware" in occi("templates", "os")
    # A network; the VM attached to it; deleting the network takes the interface along
    net = occi("network", "create", "--attribute", "occi.network.label=www").strip()
    nic = occi("link", "create", vm, net).strip()
    nic_attrs = occi.json("link", "show", nic)[0]["attributes"]
    assert nic_attrs["occi.networkinterface.address"]
    occi("network", "delete", net)
    occi("link", "show", nic, status=1)


def test_rocci_form(occi: Occi) -> None:
    vm = occi(
        "--action",
        "create",
        "--resource",
        "compute",
        "--mixin",
        "os_tpl#cirros",
        "--mixin",
        "resource_tpl#itsy",
        "--attribute",
        "occi.core.title=rocci",
    ).strip()
    assert vm in occi("--action", "list", "--resource", "compute").split()
    assert "rocci" in occi("--action", "describe", "--resource", vm)
    assert "os_tpl#SmartOS" in occi("--action", "list", "--resource", "os_tpl").split()
    occi("--action", "trigger", "--resource", vm, "--trigger-action", "stop", "--wait")
    assert occi.attrs("compute", vm)["occi.compute.state"] == "inactive"
    vol = occi(
        "--action", "create", "--resource", "storage", "--attribute", "occi.storage.size=1"
    ).strip()
    link = occi(
        "--action",
        "link",
        "--resource",
        vm,
        "--link",
        vol,
        "--attribute",
        "occi.storagelink.deviceid=/dev/vdb",
    ).strip()
    occi("--action", "unlink", "--resource", vm, "--link", link)
    occi("--action", "delete", "--resource", vm)
    occi("--action", "describe", "--resource", vm, status=1)


def test_errors_are_one_line_with_the_status(occi: Occi) -> None:
    # Typed by the model in JSON (the client refuses, 2); in text the server does (400, 1)
    err = occi("compute", "create", "--attribute", "occi.compute.cores=lots", status=(1, 2))
    assert "is a number" in err or "occi: 400 attribute occi.compute.cores" in err
    err = occi("compute", "create", "--attribute", "no.such.attribute=1", status=1)
    assert err.startswith("occi: 400 ") and "no.such.attribute" in err
    assert "Traceback" not in err
    err = occi("compute", "create", "--os-tpl", "nothing-like-this", status=2)
    assert "no mixin" in err


def test_console_script(
    server: ServerProcess, token_factory: Callable[[str], str], tmp_path: Path
) -> None:
    script = Path(sys.executable).parent / "occi"
    env = {**os.environ, "OCCI_ENDPOINT": server.url, "OCCI_TOKEN": token_factory("cli-script")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(script), *args], capture_output=True, text=True, env=env, timeout=60, check=False
        )

    created = run(
        "-m",
        "text/occi",
        "compute",
        "create",
        "--os-tpl",
        "cirros",
        "--resource-tpl",
        "itsy",
        "--wait",
    )
    assert created.returncode == 0, created.stderr
    assert created.stderr.strip().endswith(": active")
    location = created.stdout.strip()
    shown = run("compute", "show", location)
    assert "occi.compute.state" in shown.stdout and "active" in shown.stdout
    completion = run("completion", "bash")
    assert completion.returncode == 0 and "complete " in completion.stdout
    # What the completion script asks for: argcomplete's protocol, answered on fd 8
    line = "occi compute cr"
    completed = subprocess.run(
        ["bash", "-c", '"$0" 8>&1 9>/dev/null', str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
        env={
            **env,
            "_ARGCOMPLETE": "1",
            "_ARGCOMPLETE_IFS": " ",
            "COMP_LINE": line,
            "COMP_POINT": str(len(line)),
        },
    )
    assert completed.stdout.split() == ["create"], completed.stderr
    unauthorized = subprocess.run(
        [str(script), "discover"],
        capture_output=True,
        text=True,
        env={**env, "OCCI_TOKEN": "wrong"},
        timeout=60,
        check=False,
    )
    assert unauthorized.returncode == 1 and unauthorized.stderr.startswith("occi: 401 ")


def test_contextualization_and_debug(occi: Occi, tmp_path: Path) -> None:
    script = tmp_path / "boot.sh"
    script.write_text("#!/bin/sh\necho hello\n")
    key = tmp_path / "id.pub"
    key.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3 test@example\n")
    vm = occi(
        "compute",
        "create",
        "--os-tpl",
        "cirros",
        "--resource-tpl",
        "itsy",
        "--user-data",
        str(script),
        "--ssh-key",
        str(key),
    ).strip()
    attrs = occi.attrs("compute", vm)
    assert base64.b64decode(attrs["occi.compute.userdata"]) == script.read_bytes()
    assert attrs["occi.credentials.ssh.publickey"] == key.read_text().strip()
    # rOCCI-cli's --context, with --debug: requests on stderr, the token masked
    occi.capsys.readouterr()
    code = main(
        [
            *occi.base,
            "--action",
            "create",
            "--resource",
            "compute",
            "--mixin",
            "os_tpl#cirros",
            "--mixin",
            "resource_tpl#itsy",
            "--context",
            f"public_key=file://{key}",
            "--debug",
        ]
    )
    out, err = occi.capsys.readouterr()
    assert code == 0, err
    assert "> POST " in err and "< 201 Created" in err
    assert "x-auth-token: ***" in err.lower() and occi.token not in err
    shown = occi.json("compute", "show", out.strip())[0]
    assert "http://schemas.ogf.org/occi/infrastructure/credentials#ssh_key" in shown["mixins"]
    assert "user_data" in occi(
        "--action", "create", "--resource", "compute", "--context", "nothing=1", status=2
    )
