"""clouds.yaml / secure.yaml / OS_* as openstacksdk reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from occi_client.clouds import CloudConfigError, keystone_auth

CLOUDS = """
clouds:
  devstack:
    auth:
      auth_url: http://keystone.test:5000/v3
      username: alice
      project_name: demo
      user_domain_name: Users
      project_domain_id: default
    region_name: RegionOne
  appcred:
    auth_type: v3applicationcredential
    auth:
      auth_url: http://keystone.test:5000
      application_credential_id: abc
      application_credential_secret: s3cr3t
"""
SECURE = """
clouds:
  devstack:
    auth:
      password: from-secure-yaml
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    config = tmp_path / "home" / ".config" / "openstack"
    config.mkdir(parents=True)
    (config / "clouds.yaml").write_text(CLOUDS)
    (config / "secure.yaml").write_text(SECURE)
    monkeypatch.chdir(tmp_path)  # no ./clouds.yaml
    return {"HOME": str(tmp_path / "home")}


def test_named_cloud_with_secure_yaml(home: dict[str, str]) -> None:
    auth = keystone_auth("devstack", env=home)
    assert auth.auth_url == "http://keystone.test:5000/v3"
    assert (auth.username, auth.password) == ("alice", "from-secure-yaml")
    assert auth.project_name == "demo" and auth.user_domain_name == "Users"
    assert auth.project_domain_id == "default"


def test_os_cloud_variable_and_application_credentials(home: dict[str, str]) -> None:
    auth = keystone_auth(env={**home, "OS_CLOUD": "appcred"})
    assert auth.application_credential_id == "abc"
    assert auth.application_credential_secret == "s3cr3t"


def test_os_variables(home: dict[str, str]) -> None:
    env = {
        **home,
        "OS_AUTH_URL": "http://k:5000/v3",
        "OS_USERNAME": "bob",
        "OS_PASSWORD": "pw",
        "OS_PROJECT_NAME": "p",
        "OS_USER_DOMAIN_NAME": "D",
    }
    auth = keystone_auth(env=env)
    assert (auth.auth_url, auth.username, auth.password, auth.project_name) == (
        "http://k:5000/v3",
        "bob",
        "pw",
        "p",
    )
    assert auth.user_domain_name == "D"


def test_client_config_file_override_and_errors(tmp_path: Path, home: dict[str, str]) -> None:
    other = tmp_path / "other.yaml"
    other.write_text(
        "clouds:\n  only:\n    auth:\n      auth_url: http://x\n      token: t\n"
        "    auth_type: token\n"
    )
    alone = {
        **home,
        "OS_CLIENT_CONFIG_FILE": str(other),
        "OS_CLIENT_SECURE_FILE": str(tmp_path / "none.yaml"),
    }
    auth = keystone_auth(env=alone)
    assert auth.token == "t"  # the only cloud of the file
    with pytest.raises(CloudConfigError, match="no cloud 'nope'"):
        keystone_auth("nope", env=home)
    with pytest.raises(CloudConfigError, match="set OS_CLOUD"):
        keystone_auth(env=home)  # two clouds, none chosen
    other.write_text("clouds: [unbalanced\n")
    with pytest.raises(CloudConfigError, match="cannot read"):
        keystone_auth(env=alone)
