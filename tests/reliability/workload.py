"""What the reliability tests share: sizes, a small OCCI text/plain client on one connection,
and the database consistency verdict."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import httpx
from bench.consistency import problems

from tests.support.server import ServerProcess

# OCCI_RELIABILITY_FULL=1: the full sizes (8 clients x 1,000 operations, more crashes,
# longer fuzzing) instead of the CI sizes.
FULL = os.environ.get("OCCI_RELIABILITY_FULL", "") not in ("", "0")

INFRA = "http://schemas.ogf.org/occi/infrastructure#"
COMPUTE = f'compute; scheme="{INFRA}"; class="kind"'
STORAGE = f'storage; scheme="{INFRA}"; class="kind"'
NETWORK = f'network; scheme="{INFRA}"; class="kind"'
IPNETWORK = 'ipnetwork; scheme="http://schemas.ogf.org/occi/infrastructure/network#"; class="mixin"'
NETWORKINTERFACE = f'networkinterface; scheme="{INFRA}"; class="kind"'
STORAGELINK = f'storagelink; scheme="{INFRA}"; class="kind"'
COMPUTE_ACTION = "http://schemas.ogf.org/occi/infrastructure/compute/action#"
INSTANCE_ACTION = "http://schemas.openstack.org/instance/action#"


def assert_consistent(server: ServerProcess) -> None:
    found = problems(server.database)
    assert found == [], "\n".join(found[:30])


def path_of(response: httpx.Response) -> str:
    return "/" + response.headers["location"].split("/", 3)[3]


@dataclass
class Api:
    """text/plain requests with one token over one keep-alive connection (one per thread)."""

    base: str
    token: str
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.base, timeout=60)

    def close(self) -> None:
        self.client.close()

    def send(
        self,
        method: str,
        path: str,
        lines: list[tuple[str, str]] = (),  # type: ignore[assignment]
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        body = "".join(f"{name}: {value}\n" for name, value in lines).encode()
        sent = {"X-Auth-Token": self.token, **(headers or {})}
        if body:
            sent["Content-Type"] = "text/plain"
        return self.client.request(method, path, headers=sent, content=body, params=params)

    def attributes(self, response: httpx.Response) -> dict[str, str]:
        found = {}
        for line in response.text.splitlines():
            if line.startswith("X-OCCI-Attribute:"):
                name, _, value = line.split(":", 1)[1].strip().partition("=")
                found[name] = value.strip('"')
        return found

    def create(self, path: str, lines: list[tuple[str, str]]) -> str:
        response = self.send("POST", path, lines)
        assert response.status_code == 201, (response.status_code, response.text)
        return path_of(response)

    def compute(self, title: str = "vm") -> str:
        return self.create(
            "/compute/", [("Category", COMPUTE), ("X-OCCI-Attribute", f'occi.core.title="{title}"')]
        )

    def storage(self, size: int = 1) -> str:
        return self.create(
            "/storage/", [("Category", STORAGE), ("X-OCCI-Attribute", f"occi.storage.size={size}")]
        )

    def network(self, cidr: str) -> str:
        return self.create(
            "/network/",
            [
                ("Category", NETWORK),
                ("Category", IPNETWORK),
                ("X-OCCI-Attribute", f'occi.network.address="{cidr}"'),
            ],
        )

    def interface(self, compute: str, network: str) -> httpx.Response:
        return self.send(
            "POST",
            "/networklink/",
            [
                ("Category", NETWORKINTERFACE),
                ("X-OCCI-Attribute", f'occi.core.source="{compute}"'),
                ("X-OCCI-Attribute", f'occi.core.target="{network}"'),
            ],
        )

    def attach(self, compute: str, storage: str) -> httpx.Response:
        return self.send(
            "POST",
            "/storage/link/",
            [
                ("Category", STORAGELINK),
                ("X-OCCI-Attribute", f'occi.core.source="{compute}"'),
                ("X-OCCI-Attribute", f'occi.core.target="{storage}"'),
                ("X-OCCI-Attribute", 'occi.storagelink.deviceid="/dev/vdc"'),
            ],
        )

    def action(self, path: str, term: str, scheme: str, *params: str) -> httpx.Response:
        lines = [("Category", f'{term}; scheme="{scheme}"; class="action"')]
        lines += [("X-OCCI-Attribute", p) for p in params]
        return self.send("POST", path, lines, params={"action": term})

    def mixin(self, term: str, location: str) -> None:
        category = f'{term}; scheme="http://reliability.example/tags#"; class="mixin"'
        response = self.send("POST", "/-/", [("Category", f'{category}; location="{location}"')])
        assert response.status_code == 200, response.text

    def locations(self, path: str) -> list[str]:
        response = self.send("GET", path)
        assert response.status_code == 200, response.text
        return [
            "/" + line.split(":", 1)[1].strip().split("/", 3)[3]
            for line in response.text.splitlines()
            if line.startswith("X-OCCI-Location:")
        ]
