"""The real-browser tier: headless Chromium from Debian's packages, driven by Selenium.

Without chromium, chromedriver or selenium the tier skips with the reason, except when
OCCI_REQUIRE_BROWSER=1 (CI installs them), where their absence fails the run.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import ServerProcess, cli

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
)
REPO = Path(__file__).resolve().parents[2]
USER, PASSWORD, PROJECT = "carol", "console-walk-pw", "console"


def _find(names: tuple[str, ...]) -> str | None:
    for name in names:
        found = shutil.which(name) or (name if Path(name).is_file() else None)
        if found:
            return found
    return None


def _missing() -> tuple[str | None, str | None, str]:
    chromium = _find(("/usr/bin/chromium", "chromium", "chromium-browser"))
    driver = _find(("/usr/bin/chromedriver", "chromedriver"))
    absent = [
        what
        for what, ok in (
            ("chromium (apt-get install chromium)", chromium),
            ("chromedriver (apt-get install chromium-driver)", driver),
            ("selenium (pip install selenium)", importlib.util.find_spec("selenium")),
        )
        if not ok
    ]
    return chromium, driver, ", ".join(absent)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    chromium, driver_path, absent = _missing()
    if absent:
        if os.environ.get("OCCI_REQUIRE_BROWSER") == "1":
            pytest.fail(f"OCCI_REQUIRE_BROWSER=1 but missing: {absent}")
        pytest.skip(f"browser tier needs {absent}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    # An explicit driver path: Selenium Manager (which would download one) never runs.
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(driver_path)))
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server of its own with token auth and one password user."""
    process = ServerProcess(data_dir=tmp_path_factory.mktemp("console-data"))
    cli(
        "user",
        "create",
        "--project",
        PROJECT,
        "--user",
        USER,
        "--password",
        PASSWORD,
        "--database",
        process.database,
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def screenshots() -> Path:
    folder = Path(os.environ.get("OCCI_ARTIFACTS", REPO / "artifacts")) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
