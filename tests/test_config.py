"""Configuration: defaults < TOML < environment < command line, with errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from occi_server.bootstrap import cloud_offer
from occi_server.config import ConfigError, load_config

TOML = """
data_dir = "/tmp/somewhere"
[server]
port = 9000
[cloud]
default_flavor = "tiny"
default_image = "debian"
[[cloud.flavors]]
name = "tiny"
vcpus = 1
ram_mb = 64
[[cloud.flavors]]
name = "big one"
vcpus = 8
ram_mb = 16384
[[cloud.images]]
name = "debian"
os_version = "12"
[[cloud.floating_pools]]
name = "ext"
cidr = "203.0.113.0/28"
"""


def test_toml_then_environment_then_overrides(tmp_path: Path) -> None:
    path = tmp_path / "occi.toml"
    path.write_text(TOML)
    assert load_config(str(path), environ={}).server.port == 9000
    assert load_config(str(path), environ={"OCCI_PORT": "9100"}).server.port == 9100
    overridden = load_config(str(path), {("server", "port"): 9200}, environ={"OCCI_PORT": "9100"})
    assert overridden.server.port == 9200


def test_default_database_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    config = load_config(None, environ={"OCCI_DATA_DIR": str(tmp_path)})
    assert config.database_url == f"sqlite:///{tmp_path}/occi-server.sqlite"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[server]\nport = 70000\n", "server.port"),
        ("[server]\nauth = 'maybe'\n", "server.auth"),
        ("[serverr]\nport = 1\n", "serverr"),
        ("[[cloud.flavors]]\nname = 'x'\n", "cloud.flavors.0.vcpus"),
    ],
)
def test_bad_values_name_their_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_config(str(path), environ={})


def test_unreadable_or_malformed_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(str(tmp_path / "missing.toml"), environ={})
    broken = tmp_path / "broken.toml"
    broken.write_text("[server\n")
    with pytest.raises(ConfigError, match=r"broken\.toml"):
        load_config(str(broken), environ={})


def test_configured_catalogue_replaces_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "occi.toml"
    path.write_text(TOML)
    catalogue = cloud_offer(load_config(str(path), environ={}).cloud)
    assert [f.name for f in catalogue.flavors] == ["tiny", "big one"]
    assert [i.name for i in catalogue.images] == ["debian"]
    assert [p.name for p in catalogue.floating_pools] == ["ext"]
    assert catalogue.default_flavor == "tiny"


def test_default_offer_has_what_the_walkthrough_uses() -> None:
    catalogue = cloud_offer(load_config(None, environ={}).cloud)
    flavors = {f.name: f for f in catalogue.flavors}
    assert (flavors["itsy"].vcpus, flavors["itsy"].ram_mb) == (1, 128)
    assert (flavors["bitsy"].vcpus, flavors["bitsy"].ram_mb) == (1, 256)
    assert {"cirros-0.3.0-x86_64-uec", "SmartOS"} <= {i.name for i in catalogue.images}
    assert "nova" in {p.name for p in catalogue.floating_pools}
    assert any(n.public for n in catalogue.networks)


def test_unknown_default_flavor_is_refused() -> None:
    config = load_config(None, {("cloud", "default_flavor"): "huge"}, environ={})
    with pytest.raises(ConfigError, match=r"cloud\.default_flavor"):
        cloud_offer(config.cloud)


def test_drivers_default_to_the_simulated_hypervisor_and_files(tmp_path: Path) -> None:
    config = load_config(environ={"OCCI_DATA_DIR": str(tmp_path)})
    assert (config.cloud.hypervisor, config.cloud.storage) == ("simulated", "files")
    assert config.cloud.driver_timeout == 300.0 and config.cloud.simulated_delay == 0.0
    from occi_server.bootstrap import _drivers

    drivers = _drivers(config)
    assert drivers.hypervisor.instant and drivers.timeout == 300.0
    assert drivers.volumes.name == "files"
    assert (tmp_path / "store").is_dir()


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[cloud]\nhypervisor = "xen"\n', "cloud.hypervisor"),
        ('[cloud]\nstorage = "ceph"\n', "cloud.storage"),
        ("[cloud]\ndriver_timeout = 0\n", "cloud.driver_timeout"),
    ],
)
def test_unknown_drivers_are_refused_naming_the_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=f"config key {key}"):
        load_config(str(path), environ={})
