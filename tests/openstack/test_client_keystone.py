"""occi_client's Keystone flow against the test bed's real Keystone, through the OCCI server
in front of OpenStack (`serve --backend openstack --auth keystone`): the client is told where
Keystone is by the server's 401 (WWW-Authenticate: Keystone uri=...), gets a project-scoped v3
token there and goes on; the CLI does the same from the test bed's clouds.yaml."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from occi_client import Client, KeystoneAuth, Unauthorized
from tests.openstack.conftest import OpenStackServer

INFRA = "http://schemas.ogf.org/occi/infrastructure#"


def test_library_follows_the_keystone_challenge(
    os_server: OpenStackServer, testbed: dict[str, str]
) -> None:
    auth = KeystoneAuth(
        username=testbed["OCCI_TESTBED_USER1"],
        password=testbed["OCCI_TESTBED_PASSWORD1"],
        project_name=testbed["OCCI_TESTBED_PROJECT1"],
    )
    with Client(os_server.url, auth=auth, rendering="text/plain") as client:
        model = client.discover()
        assert model.kind("compute").location
        assert model.templates(INFRA + "os_tpl"), "Glance images become OS templates"
        assert auth.auth_url and auth.scoped_token  # learnt from the server's challenge
        assert isinstance(client.list("compute"), list)


def test_library_without_a_project_scopes_to_one_of_the_users(
    os_server: OpenStackServer, testbed: dict[str, str]
) -> None:
    auth = KeystoneAuth(
        username=testbed["OCCI_TESTBED_USER2"], password=testbed["OCCI_TESTBED_PASSWORD2"]
    )
    with Client(os_server.url, auth=auth, rendering="application/occi+json") as client:
        assert client.discover().kind("storage").location


def test_wrong_password_is_keystones_401(
    os_server: OpenStackServer, testbed: dict[str, str]
) -> None:
    auth = KeystoneAuth(
        username=testbed["OCCI_TESTBED_USER1"],
        password="not-the-password",
        project_name=testbed["OCCI_TESTBED_PROJECT1"],
    )
    with Client(os_server.url, auth=auth) as client, pytest.raises(Unauthorized) as refused:
        client.discover()
    assert refused.value.status == 401 and "Keystone" in refused.value.message


def test_cli_with_the_test_beds_clouds_yaml(
    os_server: OpenStackServer, testbed: dict[str, str]
) -> None:
    clouds = Path(testbed["OCCI_TESTBED_DIR"]) / "clouds.yaml"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("OS_")  # the service identity must not leak into the client
    }
    env["OS_CLIENT_CONFIG_FILE"] = str(clouds)
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "occi"),
            "--endpoint",
            os_server.url,
            "--auth",
            "keystone",
            "--os-cloud",
            f"testbed-{testbed['OCCI_TESTBED_USER1']}",
            "discover",
            "--kinds",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert INFRA + "compute" in result.stdout.split()
