"""The OVF tier: a real server with small package limits, qemu-img and COT's `cot info`.

Without qemu-img (Debian qemu-utils, scripts/system-deps) or `cot` (the dev extras) the tests
that need them skip, unless OCCI_REQUIRE_OVF=1 or OCCI_REQUIRE_QEMU_IMG=1 (CI sets both),
where their absence fails the run.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.origin import Origin
from tests.support.server import ServerProcess

REQUIRED = "1" in (os.environ.get("OCCI_REQUIRE_OVF"), os.environ.get("OCCI_REQUIRE_QEMU_IMG"))
COT = Path(sys.executable).parent / "cot"
# Small enough that the oversized upload test is quick, large enough for every fixture.
MAX_PACKAGE = 48 << 20


def _require(*tools: str) -> None:
    missing = [t for t in tools if (shutil.which(t) if t != "cot" else None) is None]
    if "cot" in tools and COT.exists():
        missing = [t for t in missing if t != "cot"]
    if missing:
        if REQUIRED:
            pytest.fail(f"OCCI_REQUIRE_OVF=1 but missing: {', '.join(missing)}", pytrace=False)
        pytest.skip(f"missing: {', '.join(missing)}")


@pytest.fixture(scope="session")
def qemu_img() -> None:
    _require("qemu-img")


@pytest.fixture(scope="session")
def cot() -> Path:
    _require("cot")
    return COT


@pytest.fixture(scope="session")
def ovf_server(
    tmp_path_factory: pytest.TempPathFactory, qemu_img: None, origin: Origin
) -> Iterator[ServerProcess]:
    """Descriptors imported alone may name disks under `origin`'s /ovf/ (tests/conftest.py)."""
    data = tmp_path_factory.mktemp("ovf-data")
    config = data / "occi.toml"
    config.write_text(
        f"[ovf]\nmax_package_bytes = {MAX_PACKAGE}\nmax_jobs = 8\n"
        f'[remote]\nallowed = ["{origin.url("/ovf/")}"]\nread_timeout = 5.0\n'
    )
    process = ServerProcess(data_dir=data, env={"OCCI_CONFIG": str(config)}).start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def ovf_token(ovf_server: ServerProcess) -> str:
    """One project's token for the tier (a token costs a CLI run: seconds on a busy machine)."""
    return ovf_server.token("ovf")


@pytest.fixture(scope="session")
def other_token(ovf_server: ServerProcess) -> str:
    return ovf_server.token("ovf-other")
