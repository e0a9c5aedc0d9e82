"""Times the walkthrough's steps on real QEMU guests (issue 13's figures).

    .venv/bin/python -m bench.qemu_walkthrough [--accel tcg|auto] [--rounds N]

Starts `occi-server serve` with `[cloud] hypervisor = "qemu"` on loopback, builds (or takes
from the cache) the busybox guest of scripts/busybox-guest, and for each round: create (until
the guest prints `occi-guest: ready` on its console), stop by ACPI (until SHUTOFF), start (until
ready again), attach a volume (until the guest lists it), detach (until it is gone), resize and
confirm (until the guest booted with the new memory), rebuild (until ready), create_image and a
boot from it, delete (until no QEMU process is left). Each figure is wall time from the request
to what the guest printed (or the state the API shows), read by polling every 0.2 s. Also
prints the guest's own uptime when it reached userspace, and what it saw of its seed.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent / "occi-server"
INFRA = "http://schemas.ogf.org/occi/infrastructure#"
RES = "http://schemas.openstack.org/template/resource#"
OS = "http://schemas.openstack.org/template/os#"
ACT = "http://schemas.ogf.org/occi/infrastructure/compute/action#"
NOVA = "http://schemas.openstack.org/instance/action#"
READY = "occi-guest: ready"


class Api:
    def __init__(self, url: str, token: str) -> None:
        self.http = httpx.Client(base_url=url, headers={"X-Auth-Token": token}, timeout=60)

    def send(self, method: str, path: str, *headers: tuple[str, str]) -> httpx.Response:
        merged: dict[str, list[str]] = {}
        for name, value in headers:
            merged.setdefault(name, []).append(value)
        send = {n: ", ".join(v) for n, v in merged.items()} | {"Content-Type": "text/occi"}
        answer = self.http.request(method, path, headers=send)
        assert answer.status_code in (200, 201), (method, path, answer.status_code, answer.text)
        return answer

    def create(self, path: str, *headers: tuple[str, str]) -> str:
        return "/" + self.send("POST", path, *headers).headers["location"].split("/", 3)[3]

    def console(self, vm: str) -> str:
        return self.http.get(vm, params={"console": ""}).text

    def attr(self, vm: str, name: str) -> str:
        text = self.http.get(vm, headers={"Accept": "text/plain"}).text
        found = re.search(rf'{re.escape(name)}="?([^"\r\n]*)"?', text)
        return found.group(1) if found else ""


def until(check: Callable[[], bool], timeout: float = 300) -> None:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise TimeoutError("step did not finish")
        time.sleep(0.2)


def cat(term: str, scheme: str, kind: str = "mixin") -> tuple[str, str]:
    return ("Category", f'{term}; scheme="{scheme}"; class="{kind}"')


def one_round(api: Api, data: Path, index: int) -> dict[str, float]:
    times: dict[str, float] = {}
    script = "#!/bin/sh\necho hello from user-data\n"
    user_data = base64.b64encode(script.encode()).decode()
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBenchKey bench@example"
    start = time.monotonic()
    vm = api.create(
        "/compute/", cat("compute", INFRA, "kind"), cat("itsy", RES), cat("busybox", OS),
        cat("user_data", "http://schemas.ogf.org/occi/infrastructure/compute#"),
        cat("ssh_key", "http://schemas.ogf.org/occi/infrastructure/credentials#"),
        ("X-OCCI-Attribute", f'occi.compute.userdata="{user_data}"'),
        ("X-OCCI-Attribute", f'occi.credentials.ssh.publickey="{key}"'),
        ("X-OCCI-Attribute", f'occi.compute.hostname="bench-{index}"'),
    )  # fmt: skip
    times["create (request answered)"] = time.monotonic() - start
    until(lambda: READY in api.console(vm))
    times["create -> guest ready"] = time.monotonic() - start
    log = api.console(vm)
    if index == 0:
        seen = log[log.find("occi-guest: booted") :]
        print("--- what the guest printed on its console (first round) ---")
        print(seen.strip())
        print("---")
    uptime = re.search(r"occi-guest: booted .* uptime=([\d.]+)", log)
    times["guest uptime at userspace"] = float(uptime.group(1)) if uptime else float("nan")

    start = time.monotonic()
    api.send("POST", f"{vm}?action=stop", cat("stop", ACT, "action"),
             ("X-OCCI-Attribute", 'method="acpioff"'))  # fmt: skip
    until(lambda: api.attr(vm, "org.openstack.compute.state") == "SHUTOFF")
    times["stop (ACPI) -> SHUTOFF"] = time.monotonic() - start
    start = time.monotonic()
    api.send("POST", f"{vm}?action=start", cat("start", ACT, "action"))
    until(lambda: api.console(vm).count(READY) >= 2)
    times["start -> guest ready"] = time.monotonic() - start

    volume = api.create("/storage/", cat("storage", INFRA, "kind"),
                        ("X-OCCI-Attribute", "occi.storage.size=0.0625"))  # fmt: skip
    start = time.monotonic()
    link = api.create(
        "/storage/link/", cat("storagelink", INFRA, "kind"),
        ("X-OCCI-Attribute", f'occi.core.source="{vm}"'),
        ("X-OCCI-Attribute", f'occi.core.target="{volume}"'),
    )  # fmt: skip
    until(lambda: "vdc:131072" in api.console(vm))
    times["attach volume -> guest sees vdc"] = time.monotonic() - start
    start = time.monotonic()
    api.send("DELETE", link)
    until(lambda: "vdc" not in _last(api.console(vm), "occi-guest: disks"))
    times["detach volume -> guest lost vdc"] = time.monotonic() - start
    api.send("DELETE", volume)

    start = time.monotonic()
    api.send("POST", vm, cat("bitsy", RES))
    until(lambda: api.console(vm).count(READY) >= 3)
    times["resize -> guest booted with 256 MiB"] = time.monotonic() - start
    start = time.monotonic()
    api.send("POST", f"{vm}?action=confirm_resize", cat("confirm_resize", NOVA, "action"))
    until(lambda: api.attr(vm, "org.openstack.compute.state") == "ACTIVE")
    times["confirm_resize -> ACTIVE"] = time.monotonic() - start
    start = time.monotonic()
    api.send("POST", vm, cat("busybox-again", OS))
    until(lambda: api.console(vm).count(READY) >= 4)
    times["rebuild -> guest ready"] = time.monotonic() - start
    start = time.monotonic()
    name = ("X-OCCI-Attribute", f'org.openstack.snapshot.image_name="bench-{index}"')
    api.send("POST", f"{vm}?action=create_image", cat("create_image", NOVA, "action"), name)
    until(lambda: not api.attr(vm, "org.openstack.compute.task_state"))
    times["create_image -> done"] = time.monotonic() - start
    start = time.monotonic()
    other = api.create("/compute/", cat("compute", INFRA, "kind"), cat("itsy", RES),
                       cat(f"bench-{index}", OS))  # fmt: skip
    until(lambda: READY in api.console(other))
    times["boot from the new image -> ready"] = time.monotonic() - start
    start = time.monotonic()
    api.send("DELETE", vm)
    api.send("DELETE", other)
    until(lambda: not list((data / "qemu").glob("*/qemu.pid")))
    times["delete both -> no QEMU left"] = time.monotonic() - start
    return times


def _last(log: str, prefix: str) -> str:
    lines = [line for line in log.splitlines() if line.startswith(prefix)]
    return lines[-1] if lines else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accel", default="tcg", choices=["tcg", "auto"])
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    image = subprocess.run(
        [str(REPO / "scripts/busybox-guest")], capture_output=True, text=True, check=True
    ).stdout.strip().splitlines()[-1]
    data = Path(tempfile.mkdtemp(prefix="occi-bench-qemu-"))
    sys.path.insert(0, str(REPO))
    from tests.qemu.conftest import config_text

    (data / "occi.toml").write_text(config_text(Path(image), args.accel))
    port = 18000 + os.getpid() % 1000
    env = {**os.environ, "OCCI_DATA_DIR": str(data), "OCCI_CONFIG": str(data / "occi.toml")}
    log = (data / "server.log").open("w")
    server = subprocess.Popen(
        [str(BIN), "serve", "--port", str(port), "--auth", "token"], env=env,
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        token = subprocess.run(
            [str(BIN), "token", "create", "--project", "bench", "--user", "bench"],
            env=env, capture_output=True, text=True, check=True,
        ).stdout.strip().splitlines()[-1]  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        until(lambda: _answers(url), 30)
        api = Api(url, token)
        rounds = [one_round(api, data, i) for i in range(args.rounds)]
    finally:
        server.terminate()
        server.wait(15)
        log.close()
    print(f"{'step':40} " + " ".join(f"round {i + 1:>2}" for i in range(len(rounds))) + "  median")
    for name in rounds[0]:
        values = [r[name] for r in rounds]
        cells = " ".join(f"{v:8.2f}" for v in values)
        print(f"{name:40} {cells}  {statistics.median(values):6.2f} s")
    return 0


def _answers(url: str) -> bool:
    try:
        httpx.get(url + "/-/", timeout=1)
    except httpx.TransportError:
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
