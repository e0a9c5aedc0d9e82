"""The command line's operator-facing parts: --version, config check, missing extras."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from occi_server import __version__
from tests.support.server import BIN


def run(*args: str, blocked: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """occi-server in a process of its own; `blocked` modules cannot be imported there."""
    code = (
        "import sys\n"
        f"for name in {list(blocked)!r}: sys.modules[name] = None\n"
        "from occi_server.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60
    )


def test_version() -> None:
    result = subprocess.run([str(BIN), "--version"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and result.stdout.strip() == f"occi-server {__version__}"


def test_config_check_accepts_a_good_file_and_names_the_bad_key(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(
        '[server]\nport = 8080\ntrusted_proxies = ["10.0.0.0/8"]\n'
        '[metrics]\ntoken = "t"\n[log]\nformat = "json"\n'
    )
    result = run("config", "check", str(good))
    assert result.returncode == 0 and result.stdout.strip() == f"{good}: ok"
    for text, named in (
        ("[server]\nport = 70000\n", "server.port"),
        ("[server]\nworkrs = 2\n", "server.workrs"),
        ('[server]\ntrusted_proxies = ["not-a-network"]\n', "server.trusted_proxies.0"),
        ('[log]\nformat = "xml"\n', "log.format"),
        ('[cloud]\ndefault_flavor = "huge"\n', "cloud.default_flavor"),
        ('[server]\nssl_certfile = "c.pem"\n', "server.ssl_keyfile"),
    ):
        bad = tmp_path / "bad.toml"
        bad.write_text(text)
        result = run("config", "check", str(bad))
        assert result.returncode == 2, text
        assert result.stderr.startswith(f"occi-server: config key {named}"), result.stderr
        assert "Traceback" not in result.stderr
    missing = run("config", "check", str(tmp_path / "nope.toml"))
    assert missing.returncode == 2 and "cannot read config file" in missing.stderr


def test_serve_without_the_openstack_extra_names_it(tmp_path: Path) -> None:
    for args in (
        ("serve", "--backend", "openstack", "--auth", "keystone"),
        ("serve", "--auth", "keystone", "--database", f"sqlite:///{tmp_path}/x.sqlite"),
    ):
        result = run(*args, blocked=("keystoneauth1", "openstack"))
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
        assert "pip install 'occi-server[openstack]'" in lines[0]


def test_a_postgresql_url_without_the_driver_names_the_extra() -> None:
    result = run(
        "db", "upgrade", "--database", "postgresql+psycopg://u@127.0.0.1:1/x",
        blocked=("psycopg",),
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (
        "occi-server: this needs the postgresql extra (psycopg is not installed): "
        "pip install 'occi-server[postgresql]'"
    )
