"""Run CESNET's pOCCI compliance tester (scripts/pocci-install) against a server, one ETSI test
id per invocation, each with its own set-up and clean-up.

Set-up: one compute and one storage exist before every id (MISC/001, READ/007 and UPDATE/001
need an entity to work on, INFRA/CREATE/005 and 006 a storage to link to; the shared network
`/network/public` is always there). Making them is pOCCI's set-up, not part of the test.
Clean-up: every entity the project holds is deleted after the id, so ids do not see each
other's leftovers. Categories are kept: a second run meets the user mixin CORE/CREATE/006 made
in the first (pOCCI never deletes it), which is the re-run case the tester's users hit.

Also a command, for measuring a server by hand:

    .venv/bin/python -m tests.support.pocci http://127.0.0.1:8787 USER PASSWORD \
        [--runs 2] [--mime-type text/plain]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

# pOCCI's 17 ids (`pOCCI -l`), the three it skips by default included.
TEST_IDS = (
    "OCCI/CORE/CREATE/001",
    "OCCI/CORE/CREATE/006",
    "OCCI/CORE/DELETE/001",
    "OCCI/CORE/DISCOVERY/001",
    "OCCI/CORE/DISCOVERY/002",
    "OCCI/CORE/MISC/001",
    "OCCI/CORE/READ/001",
    "OCCI/CORE/READ/002",
    "OCCI/CORE/READ/007",
    "OCCI/CORE/UPDATE/001",
    "OCCI/INFRA/CREATE/001",
    "OCCI/INFRA/CREATE/002",
    "OCCI/INFRA/CREATE/003",
    "OCCI/INFRA/CREATE/004",
    "OCCI/INFRA/CREATE/005",
    "OCCI/INFRA/CREATE/006",
    "OCCI/INFRA/CREATE/007",
)
RENDERINGS = ("text/plain", "text/occi")
INFRA = "http://schemas.ogf.org/occi/infrastructure#"
COMPUTE = f'Category: compute; scheme="{INFRA}"; class="kind"'
STORAGE = (
    f'Category: storage; scheme="{INFRA}"; class="kind"\n'
    + "X-OCCI-Attribute: occi.storage.size=1.0"
)
# Collections pOCCI creates entities in; links first, so resources go without cascades.
COLLECTIONS = ("/storage/link/", "/networklink/", "/compute/", "/storage/", "/network/")


def executable() -> Path | None:
    """The pOCCI command beside this interpreter (scripts/pocci-install puts it there)."""
    found = Path(sys.executable).parent / "pOCCI"
    return found if found.exists() else None


@dataclass(frozen=True)
class Outcome:
    test_id: str
    mime_type: str
    run: int
    status: str  # OK, FAIL, or ERROR (pOCCI stopped without a verdict)
    reasons: tuple[str, ...]
    output: str  # pOCCI's standard error: it prints the server's error lines there

    @property
    def passed(self) -> bool:
        return self.status == "OK"


class Pocci:
    def __init__(self, url: str, user: str, password: str) -> None:
        self.url = url.rstrip("/")
        self.user = user
        self.password = password
        self.http = httpx.Client(auth=(user, password), timeout=30)
        # pOCCI reads /etc/pOCCI.cfg and ~/.pOCCI.cfg; an empty HOME keeps a user's file out.
        self.home = tempfile.mkdtemp(prefix="pocci-home-")

    def close(self) -> None:
        self.http.close()
        shutil.rmtree(self.home, ignore_errors=True)

    def set_up(self) -> None:
        for collection, body in (("/compute/", COMPUTE), ("/storage/", STORAGE)):
            response = self.http.post(
                self.url + collection, content=body, headers={"Content-Type": "text/plain"}
            )
            if response.status_code != 201:
                raise RuntimeError(f"set-up: POST {collection} answered {response.status_code}")

    def clean_up(self) -> None:
        for collection in COLLECTIONS:
            listing = self.http.get(self.url + collection, headers={"Accept": "text/uri-list"})
            for url in listing.text.split():
                # The catalogue's shared networks answer 403; links may be gone with a resource.
                self.http.delete(url)

    def run(self, test_id: str, mime_type: str, run: int = 1) -> Outcome:
        self.set_up()
        try:
            return self._invoke(test_id, mime_type, run)
        finally:
            self.clean_up()

    def _invoke(self, test_id: str, mime_type: str, run: int) -> Outcome:
        pocci = executable()
        if pocci is None:
            raise RuntimeError("pOCCI is not installed: run scripts/pocci-install .venv")
        command = [str(pocci), "-e", self.url, "-a", "basic", "-u", self.user]
        command += ["-p", self.password, "-m", mime_type, "-f", "json", "-t", test_id]
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "HOME": self.home},
            check=False,
        )
        # Some tests print what they found (lists of URLs) before the JSON verdict.
        start = 0 if result.stdout.startswith("{") else result.stdout.find("\n{") + 1
        try:
            verdict = json.loads(result.stdout[start:])["tests"][0]
        except (ValueError, KeyError, IndexError):
            return Outcome(
                test_id, mime_type, run, "ERROR", (result.stdout.strip(),), result.stderr
            )
        reasons = tuple(str(r) for r in verdict.get("reason", ()))
        return Outcome(test_id, mime_type, run, str(verdict["status"]), reasons, result.stderr)

    def run_all(self, mime_type: str, runs: int = 2) -> list[Outcome]:
        return [
            self.run(test_id, mime_type, number)
            for number in range(1, runs + 1)
            for test_id in TEST_IDS
        ]


def table(outcomes: list[Outcome]) -> str:
    """id | rendering run 1 | run 2 ... as a Markdown table, reasons of failures below."""
    columns = sorted({(o.mime_type, o.run) for o in outcomes})
    cell = {(o.test_id, o.mime_type, o.run): o for o in outcomes}
    lines = ["| id | " + " | ".join(f"{m} run {r}" for m, r in columns) + " |"]
    lines.append("|---" * (len(columns) + 1) + "|")
    for test_id in TEST_IDS:
        found = [cell.get((test_id, m, r)) for m, r in columns]
        lines.append(f"| {test_id} | " + " | ".join(o.status if o else "-" for o in found) + " |")
    for column in columns:
        passed = sum(1 for o in outcomes if (o.mime_type, o.run) == column and o.passed)
        lines.append(f"{column[0]} run {column[1]}: {passed}/{len(TEST_IDS)} passed")
    for o in outcomes:
        if not o.passed:
            said = " ".join(o.output.split())[:300]
            lines.append(f"- {o.test_id} {o.mime_type} run {o.run}: {list(o.reasons)} {said}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("user")
    parser.add_argument("password")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--mime-type", choices=RENDERINGS, action="append")
    args = parser.parse_args(argv)
    pocci = Pocci(args.url, args.user, args.password)
    try:
        mime_types = args.mime_type or RENDERINGS
        outcomes = [o for m in mime_types for o in pocci.run_all(m, args.runs)]
    finally:
        pocci.close()
    print(table(outcomes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
