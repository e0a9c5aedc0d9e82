"""A bounded live fuzz run against the OCCI server: hostile requests, then the verdict.

    python -m bench.fuzz --requests 100000 --seed 7              # starts its own server
    python -m bench.fuzz --requests 3000 --database postgresql+psycopg://postgres@127.0.0.1/x
    python -m bench.fuzz --url http://127.0.0.1:8787 --token T1 --token T2 --database URL

It sends N generated requests — every method, real and made-up paths (entity paths it learns
from the server's own answers), every media type and wrong ones, OCCI structures that are
valid, mutated or garbage, invalid UTF-8, huge values, deep JSON, duplicate and contradictory
headers, foreign and invalid tokens — from several threads at a server on loopback. It stops
after N requests or `--time-limit` seconds, whichever comes first, and ends with the counts by
status class. It exits 1, printing examples, when any response was >= 500 or a request got no
response at all, when the server is no longer alive, or when the database is inconsistent
(bench/consistency.py).

A server answers 501 to a User-Agent asking for an OCCI version above 1.2, by design: the fuzzer
sends OCCI/1.1 and 1.2 agents and garbage ones, never a higher version.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench import consistency

INFRA = "http://schemas.ogf.org/occi/infrastructure#"
CORE = "http://schemas.ogf.org/occi/core#"
OS_TPL = "http://schemas.openstack.org/template/os#"
RESOURCE_TPL = "http://schemas.openstack.org/template/resource#"
INSTANCE = "http://schemas.openstack.org/instance/action#"
POOL = "http://schemas.openstack.org/network/floatingippool#"
SECURITY = "http://schemas.openstack.org/occi/infrastructure/network/security#"
USER_SCHEME = "http://fuzz.example/tags#"

KIND_PATHS = {
    "compute": "/compute/",
    "storage": "/storage/",
    "network": "/network/",
    "networkinterface": "/networklink/",
    "storagelink": "/storage/link/",
    "link": "/link/",
}
FIXED_PATHS = [
    "/",
    "/-/",
    "/.well-known/org/ogf/occi/-/",
    *KIND_PATHS.values(),
    "/network/security/rule/",
    "/network/public",
    "/mixin/floatingippool/nova/",
    "/nowhere",
    "/nowhere/",
    "/compute",
    "/compute/../storage/",
    "//compute//",
    "/compute/%00",
    "/compute/%ff%fe",
    "/compute/" + "a" * 600,
    "/-/-/",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/compute/?",
    "/tags/",
]
METHODS = ["GET"] * 6 + ["POST"] * 7 + ["PUT"] * 3 + ["DELETE"] * 3 + ["HEAD", "PATCH", "OPTIONS"]
MEDIA_TYPES = [
    "text/plain",
    "text/occi",
    "text/occi+plain",
    "text/uri-list",
    "application/occi+json",
    "application/json",
    "text/html",
    "application/xml",
    "*/*",
    "text/*",
    "application/*",
    "",
    "garbage",
    "text/plain; charset=latin-1",
    "TEXT/PLAIN;;;q=",
    "text/occi;q=0, */*;q=0",
    "application/occi+json;q=0.1, text/plain;q=abc",
    "multipart/form-data; boundary=x",
]
ATTRIBUTE_NAMES = [
    "occi.core.title",
    "occi.core.summary",
    "occi.core.id",
    "occi.core.source",
    "occi.core.target",
    "occi.compute.cores",
    "occi.compute.memory",
    "occi.compute.hostname",
    "occi.compute.state",
    "occi.compute.architecture",
    "occi.storage.size",
    "occi.network.address",
    "occi.network.gateway",
    "occi.network.vlan",
    "occi.networkinterface.address",
    "occi.storagelink.deviceid",
    "org.openstack.network.floating.pool",
    "org.openstack.credentials.admin_pwd",
    "org.openstack.snapshot.image_name",
    "x.fuzz.unknown",
]
VALUES = [
    '"fuzz"',
    '""',
    "2",
    "-1",
    "0",
    "1.5",
    "1e400",
    "99999999999999999999999999999999",
    "true",
    "false",
    "null",
    '"10.9.0.0/24"',
    '"10.9.0.300"',
    '"/dev/vdb"',
    '"x86"',
    '"inactive"',
    '"nova"',
    '"\\"quoted\\" \\\\ back"',
    '"unterminated',
    "bare",
    '"' + "h" * 5000 + '"',
    '"\u00e9t\u00e9 \u2603 \U0001f600"',
    "-",
    ".",
    '"a,b;c=d"',
    '"http://[/x"',
    '"\\ud800"',
]
# Shapes of issue 15: URLs urlsplit chokes on, hosts that are not hosts, huge version numbers,
# lone surrogates, cross-site origins, line separators.
HOSTILE_HEADERS: list[tuple[str, bytes]] = [
    ("Host", b"["),
    ("Host", b"evil.example/base"),
    ("Host", b"a" * 300),
    ("Link", b'<http://[/x>; rel="http://schemas.ogf.org/occi/infrastructure#network"'),
    ("Link", b'<http://e.example/a<b>; rel="x"'),
    ("X-OCCI-Location", b"http://[::1/compute/1"),
    ("X-OCCI-Attribute", b'occi.core.target="http://h:99999999999/x"'),
    ("X-OCCI-Attribute", 'occi.core.title="a\u2028b\u0085c"'.encode()),
    ("User-Agent", b"OCCI/" + b"9" * 5000 + b".1"),
    ("Origin", b"http://evil.example"),
    ("Sec-Fetch-Site", b"cross-site"),
]
GARBAGE_CHARS = '<>"\\;=,{}[] \t#:/.?-_aZ09\x7f\u00e9\u2603'


@dataclass(frozen=True, slots=True)
class Planned:
    method: str
    path: str
    params: dict[str, str]
    headers: list[tuple[str, bytes]]
    body: bytes
    label: str

    def summary(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.params.items())
        heads = "; ".join(f"{n}: {v[:60]!r}" for n, v in self.headers[:8])
        return (
            f"[{self.label}] {self.method} {self.path[:80]}{'?' + query if query else ''} "
            f"| {heads} | body {self.body[:160]!r}"
        )


@dataclass
class FuzzConfig:
    url: str
    tokens: list[str]
    requests: int = 3000
    seed: int = 0
    concurrency: int = 8
    time_limit: float = 600.0
    database: str | None = None
    timeout: float = 30.0


@dataclass
class FuzzReport:
    sent: int = 0
    duration: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    labels: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    server_error_count: int = 0
    transport_errors: list[str] = field(default_factory=list)
    transport_error_count: int = 0
    unsent: int = 0  # refused by the HTTP client itself (e.g. a header h11 will not send)
    # Answered, but with more header bytes than h11 reads (text/occi renders attributes as
    # headers: an entity with a 100 kB title makes a 100 kB header). Counted, not a failure.
    oversized_responses: int = 0
    alive: bool = False
    inconsistencies: list[str] = field(default_factory=list)
    database_checked: bool = False

    def by_class(self) -> dict[str, int]:
        classes: Counter[str] = Counter()
        for status, count in self.statuses.items():
            classes[f"{status // 100}xx"] += count
        return dict(sorted(classes.items()))

    @property
    def ok(self) -> bool:
        return (
            self.server_error_count == 0
            and self.transport_error_count == 0
            and self.alive
            and not self.inconsistencies
        )

    def text(self) -> str:
        lines = [
            f"requests sent: {self.sent} in {self.duration:.1f} s "
            f"({self.sent / max(self.duration, 1e-9):.0f}/s)",
            f"by status class: {self.by_class()}",
            f"by status: {dict(sorted(self.statuses.items()))}",
            f"responses >= 500: {self.server_error_count}",
            f"requests without a response: {self.transport_error_count}",
            f"requests the client refused to send: {self.unsent}",
            f"responses with headers too large for the client: {self.oversized_responses}",
            f"server alive afterwards: {self.alive}",
        ]
        if self.database_checked:
            lines.append(f"database inconsistencies: {len(self.inconsistencies)}")
        else:
            lines.append("database not checked (no --database)")
        for example in self.server_errors[:10]:
            lines.append(f"  5xx: {example}")
        for example in self.transport_errors[:10]:
            lines.append(f"  no response: {example}")
        for problem in self.inconsistencies[:20]:
            lines.append(f"  inconsistent: {problem}")
        lines.append("verdict: " + ("PASS" if self.ok else "FAIL"))
        return "\n".join(lines)


# --- what is learned from the server -----------------------------------------------------------


class Learned:
    """Entity paths and mixin locations seen in answers (bounded, shared by the threads)."""

    LIMIT = 400

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.entities: dict[str, list[str]] = {kind: [] for kind in KIND_PATHS}
        self.mixins: list[tuple[str, str]] = []  # (term, location)

    def add_entity(self, path: str, rng: random.Random) -> None:
        matches = [k for k, p in KIND_PATHS.items() if path.startswith(p)]
        if not matches:
            return
        kind = max(matches, key=lambda k: len(KIND_PATHS[k]))  # /storage/link/ over /storage/
        with self._lock:
            paths = self.entities[kind]
            if path in paths:
                return
            if len(paths) < self.LIMIT:
                paths.append(path)
            else:
                paths[rng.randrange(len(paths))] = path

    def add_mixin(self, term: str, location: str) -> None:
        with self._lock:
            if len(self.mixins) < 50:
                self.mixins.append((term, location))

    def entity(self, rng: random.Random, kind: str | None = None) -> str:
        with self._lock:
            pool = (
                self.entities.get(kind, [])
                if kind
                else [p for v in self.entities.values() for p in v]
            )
            if not pool:
                return (KIND_PATHS.get(kind or "compute") or "/compute/") + "none"
            return rng.choice(pool)

    def any_path(self, rng: random.Random) -> str:
        roll = rng.random()
        if roll < 0.45:
            return self.entity(rng)
        if roll < 0.55 and self.mixins:
            with self._lock:
                return rng.choice(self.mixins)[1]
        return rng.choice(FIXED_PATHS)


# --- request generation ---------------------------------------------------------------------------


def category(term: str, scheme: str, cls: str, extra: str = "") -> str:
    return f'{term}; scheme="{scheme}"; class="{cls}"{extra}'


class Generator:
    """Request i of a run is drawn from Random(seed, i): a failing request can be regenerated."""

    def __init__(self, seed: int, tokens: list[str], learned: Learned) -> None:
        self.seed = seed
        self.tokens = tokens
        self.learned = learned

    def planned(self, index: int) -> Planned:
        rng = random.Random(f"{self.seed}:{index}")
        roll = rng.random()
        if roll < 0.30:
            plan = self._valid(rng)
        elif roll < 0.75:
            plan = self._mutated(rng, self._valid(rng))
        elif roll < 0.92:
            plan = self._garbage(rng)
        else:
            plan = self._limits(rng)
        return plan

    # -- building blocks ---------------------------------------------------------------------
    def _auth(self, rng: random.Random) -> list[tuple[str, bytes]]:
        roll = rng.random()
        if roll < 0.85:
            return [("X-Auth-Token", self.tokens[0].encode())]
        if roll < 0.93 and len(self.tokens) > 1:
            return [("X-Auth-Token", rng.choice(self.tokens[1:]).encode())]
        if roll < 0.96:
            return [("X-Auth-Token", b"not-a-token")]
        if roll < 0.98:
            return [("Authorization", b"Basic " + _b64(rng.choice(["a:b", ":", "x", "\xff:\xfe"])))]
        return []

    def _structures(self, rng: random.Random) -> tuple[str, list[tuple[str, str]]]:
        """A plausible OCCI request: (path, [(structure, value)])."""
        learned = self.learned
        choice = rng.randrange(14)
        title = ("X-OCCI-Attribute", f'occi.core.title="fuzz {rng.randrange(1000)}"')
        if choice == 0:
            extra = []
            if rng.random() < 0.5:
                extra.append(
                    (
                        "Category",
                        category(
                            rng.choice(["m1.tiny", "m1.small", "itsy"]), RESOURCE_TPL, "mixin"
                        ),
                    )
                )
            if rng.random() < 0.3:
                extra.append(("Category", category("nova", POOL, "mixin")))
            if rng.random() < 0.3:
                extra.append(
                    (
                        "Link",
                        f'<{learned.entity(rng, "storage")}>; rel="{INFRA}storage"; '
                        f'category="{INFRA}storagelink"',
                    )
                )
            if rng.random() < 0.3:
                extra.append(
                    (
                        "Link",
                        f'<{learned.entity(rng, "network")}>; rel="{INFRA}network"; '
                        f'category="{INFRA}networkinterface"',
                    )
                )
            return "/compute/", [("Category", category("compute", INFRA, "kind")), title, *extra]
        if choice == 1:
            size = rng.choice(["1", "2.5", "0", "-3", '"big"'])
            return "/storage/", [
                ("Category", category("storage", INFRA, "kind")),
                ("X-OCCI-Attribute", f"occi.storage.size={size}"),
            ]
        if choice == 2:
            cidr = rng.choice(
                ["", f"10.{rng.randrange(256)}.{rng.randrange(256)}.0/28", "192.168.0.0/30"]
            )
            items = [("Category", category("network", INFRA, "kind")), title]
            if cidr:
                items += [
                    ("Category", category("ipnetwork", INFRA.replace("#", "/network#"), "mixin")),
                    ("X-OCCI-Attribute", f'occi.network.address="{cidr}"'),
                ]
            return "/network/", items
        if choice == 3:
            return "/networklink/", [
                ("Category", category("networkinterface", INFRA, "kind")),
                ("X-OCCI-Attribute", f'occi.core.source="{learned.entity(rng, "compute")}"'),
                (
                    "X-OCCI-Attribute",
                    'occi.core.target="'
                    + learned.entity(rng, rng.choice(["network", "network", "storage"]))
                    + '"',
                ),
            ]
        if choice == 4:
            return "/storage/link/", [
                ("Category", category("storagelink", INFRA, "kind")),
                ("X-OCCI-Attribute", f'occi.core.source="{learned.entity(rng, "compute")}"'),
                ("X-OCCI-Attribute", f'occi.core.target="{learned.entity(rng, "storage")}"'),
                ("X-OCCI-Attribute", 'occi.storagelink.deviceid="/dev/vdc"'),
            ]
        if choice == 5:
            term = f"tag{rng.randrange(40)}"
            self.learned.add_mixin(term, f"/tags/{term}/")
            return "/-/", [
                ("Category", category(term, USER_SCHEME, "mixin", f'; location="/tags/{term}/"'))
            ]
        if choice == 6:
            term = f"tag{rng.randrange(40)}"
            return f"/tags/{term}/", [
                ("X-OCCI-Location", learned.entity(rng)) for _ in range(rng.randrange(1, 4))
            ]
        if choice == 7:
            action, scheme, params = rng.choice(
                [
                    ("start", INFRA.replace("#", "/compute/action#"), []),
                    (
                        "stop",
                        INFRA.replace("#", "/compute/action#"),
                        [("X-OCCI-Attribute", 'method="graceful"')],
                    ),
                    ("suspend", INFRA.replace("#", "/compute/action#"), []),
                    (
                        "alloc_float_ip",
                        INSTANCE,
                        [("X-OCCI-Attribute", 'org.openstack.network.floating.pool="nova"')],
                    ),
                    ("dealloc_float_ip", INSTANCE, []),
                    (
                        "create_image",
                        INSTANCE,
                        [
                            (
                                "X-OCCI-Attribute",
                                f'org.openstack.snapshot.image_name="img{rng.randrange(50)}"',
                            )
                        ],
                    ),
                    ("online", INFRA.replace("#", "/storage/action#"), []),
                    ("down", INFRA.replace("#", "/network/action#"), []),
                ]
            )
            kind = "storage" if action == "online" else "network" if action == "down" else "compute"
            path = learned.entity(rng, kind) + f"?action={action}"
            return path, [("Category", category(action, scheme, "action")), *params]
        if choice == 8:
            return learned.entity(rng), [
                title,
                ("X-OCCI-Attribute", f"occi.compute.cores={rng.randrange(-1, 5)}"),
            ]
        if choice == 9:
            return learned.entity(rng), []
        if choice == 10:
            return "/compute/", [
                ("Category", category("compute", INFRA, "kind")),
                ("X-OCCI-Attribute", f'occi.compute.hostname="h{rng.randrange(99)}"'),
            ]
        if choice == 11:
            return "/-/", [
                (
                    "Category",
                    category(
                        rng.choice(["compute", "os_tpl", "group", "nova", "nothing"]),
                        rng.choice([INFRA, OS_TPL, POOL, CORE]),
                        rng.choice(["kind", "mixin"]),
                    ),
                )
            ]
        if choice == 12:
            return "/network/security/rule/", [
                ("Category", category("rule", SECURITY, "kind")),
                (
                    "X-OCCI-Attribute",
                    f'occi.network.security.protocol="{rng.choice(["tcp", "udp", "bogus"])}"',
                ),
                ("X-OCCI-Attribute", f"occi.network.security.to={rng.randrange(-5, 70000)}"),
            ]
        return rng.choice(list(KIND_PATHS.values())), [
            ("X-OCCI-Attribute", f"occi.core.title={rng.choice(VALUES)}")
        ]

    def _valid(self, rng: random.Random) -> Planned:
        path, structures = self._structures(rng)
        method = "POST"
        params: dict[str, str] = {}
        if "?" in path:
            path, _, query = path.partition("?")
            key, _, value = query.partition("=")
            params[key] = value
        roll = rng.random()
        if not structures or roll < 0.25:
            method = rng.choice(["GET", "GET", "DELETE", "HEAD"])
        elif roll < 0.32 and path.count("/") >= 2 and not path.endswith("/"):
            method = "PUT"
        media = rng.choice(["text/plain", "text/occi", "application/occi+json", "text/occi+plain"])
        headers = [*self._auth(rng), ("Accept", rng.choice(MEDIA_TYPES[:6]).encode())]
        body = b""
        if media == "text/occi":
            headers.append(("Content-Type", b"text/occi"))
            for name, value in structures:
                headers.append((name, value.encode()))
        elif media == "application/occi+json":
            document = _json_document(path, structures)
            if document is not None:
                headers.append(("Content-Type", media.encode()))
                body = json.dumps(document).encode()
        elif structures:
            headers.append(("Content-Type", media.encode()))
            body = "".join(f"{n}: {v}\r\n" for n, v in structures).encode()
        if method in ("GET", "HEAD") and rng.random() < 0.5:
            params.update(
                rng.choice(
                    [
                        {"page": "1", "number": "5"},
                        {"page": "0"},
                        {"number": "-1"},
                        {"page": "x"},
                        {"number": "100000"},
                    ]
                )
            )
        if rng.random() < 0.1:
            headers.append(("If-Match", rng.choice([b'"1"', b'"2"', b"*", b'W/"3"', b'"zz"', b""])))
        if rng.random() < 0.05:
            headers.append(
                (
                    "User-Agent",
                    rng.choice(
                        [b"occi-cli/1.0 OCCI/1.1", b"rOCCI OCCI/1.2", b"OCCI/", b"\xff\xfe"]
                    ),
                )
            )
        return Planned(method, path, params, headers, body, "valid-" + media.split("/")[-1])

    def _mutated(self, rng: random.Random, plan: Planned) -> Planned:
        headers = list(plan.headers)
        body = plan.body
        method, path, params = plan.method, plan.path, dict(plan.params)
        how = rng.randrange(17)
        label = "mutated"
        if how == 0 and body:
            data = bytearray(body)
            for _ in range(rng.randrange(1, 6)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            body, label = bytes(data), "flip-bytes"
        elif how == 1 and body:
            body, label = body[: rng.randrange(len(body))], "truncated"
        elif how == 2:
            body, label = (
                body + rng.choice([b"\xff\xfe\xfd", b"\xc3", b"\xed\xa0\x80", b"\x00"]) + body,
                "invalid-utf8",
            )
        elif how == 3:
            dupes = [(n, v) for n, v in headers if n not in ("X-Auth-Token",)]
            headers += rng.sample(dupes, min(len(dupes), rng.randrange(1, 4))) if dupes else []
            label = "duplicate-headers"
        elif how == 4:
            headers.append(("Content-Type", rng.choice(MEDIA_TYPES).encode()))
            label = "contradictory-content-type"
        elif how == 5:
            name = rng.choice(["Category", "Link", "X-OCCI-Attribute", "X-OCCI-Location"])
            headers.append((name, _random_text(rng, 120).encode("utf-8", "surrogatepass")))
            label = "garbage-structure-header"
        elif how == 6:
            name = rng.choice(["Category", "Link", "X-OCCI-Attribute", "X-OCCI-Location"])
            body += f"{name}: {_random_text(rng, 200)}\n".encode("utf-8", "surrogatepass")
            label = "garbage-structure-line"
        elif how == 7:
            name = rng.choice(ATTRIBUTE_NAMES)
            headers.append(("X-OCCI-Attribute", f"{name}={rng.choice(VALUES)}".encode()))
            headers.append(("X-OCCI-Attribute", f"{name}={rng.choice(VALUES)}".encode()))
            label = "contradictory-attributes"
        elif how == 8:
            headers.append(
                (
                    "X-OCCI-Attribute",
                    b'occi.core.title="' + b"\xe2\x98" * rng.randrange(1, 50) + b'"',
                )
            )
            label = "invalid-utf8-header"
        elif how == 9:
            depth = rng.choice([5, 31, 32, 33, 200, 5000])
            body = (
                b"[" * depth + b"1" + b"]" * depth
                if rng.random() < 0.5
                else b'{"a":' * depth + b"1" + b"}" * depth
            )
            headers = [h for h in headers if h[0] != "Content-Type"] + [
                ("Content-Type", b"application/occi+json")
            ]
            label = "deep-json"
        elif how == 10:
            document = _wrong_types(rng)
            body = json.dumps(document).encode()
            headers = [h for h in headers if h[0] != "Content-Type"] + [
                ("Content-Type", rng.choice([b"application/occi+json", b"application/json"]))
            ]
            label = "json-wrong-types"
        elif how == 11:
            method, label = rng.choice(METHODS), "other-method"
        elif how == 12:
            path, label = (
                self.learned.any_path(rng) + rng.choice(["", "/", "x", "/../", "%20", "?"]),
                "other-path",
            )
        elif how == 13:
            value = _random_text(rng, 20).encode("utf-8", "replace").decode("utf-8")
            params[rng.choice(["action", "page", "number", "x", ""])] = value
            label = "random-query"
        elif how == 14:
            headers = [(n, v.upper() if rng.random() < 0.3 else v) for n, v in headers]
            headers = [(n.lower() if rng.random() < 0.5 else n.upper(), v) for n, v in headers]
            label = "header-case"
        elif how == 15:
            headers.append(rng.choice(HOSTILE_HEADERS))
            label = "hostile-url-or-host"
        else:
            lines = body.split(b"\n")
            rng.shuffle(lines)
            body, label = b"\n".join(lines) + b"\r\n" * rng.randrange(3), "shuffled-lines"
        return Planned(method, path, params, headers, body, label)

    def _garbage(self, rng: random.Random) -> Planned:
        headers = self._auth(rng)
        for _ in range(rng.randrange(0, 5)):
            name = rng.choice(
                [
                    "Category",
                    "Link",
                    "X-OCCI-Attribute",
                    "X-OCCI-Location",
                    "Accept",
                    "Content-Type",
                    "If-Match",
                    "X-Auth-Tenant-Id",
                    "X-Auth-User",
                    "Range",
                    "Expect-Nothing",
                ]
            )
            headers.append((name, _header_bytes(rng)))
        roll = rng.random()
        if roll < 0.4:
            body = rng.randbytes(rng.randrange(0, 400))
        elif roll < 0.8:
            body = _random_text(rng, 400).encode("utf-8", "surrogatepass")
        else:
            body = b""
        if rng.random() < 0.7:
            headers.append(("Content-Type", rng.choice(MEDIA_TYPES).encode()))
        return Planned(
            rng.choice(METHODS), self.learned.any_path(rng), {}, headers, body, "garbage"
        )

    def _limits(self, rng: random.Random) -> Planned:
        headers = [*self._auth(rng), ("Content-Type", b"text/plain")]
        which = rng.randrange(6)
        path = rng.choice(["/compute/", "/-/", "/tags/x/", self.learned.entity(rng)])
        if which == 0:  # many attributes (over the default 256)
            body = "".join(
                f"X-OCCI-Attribute: x.a{i}=1\n" for i in range(rng.choice([10, 257, 400]))
            ).encode()
            return Planned("POST", path, {}, headers, body, "many-attributes")
        if which == 1:  # a long location list
            body = "".join(
                f"X-OCCI-Location: /compute/{i}\n" for i in range(rng.choice([50, 2000]))
            ).encode()
            return Planned(
                rng.choice(["POST", "PUT", "DELETE"]),
                "/tags/tag1/",
                {},
                headers,
                body,
                "many-locations",
            )
        if which == 2:  # a huge value
            body = (
                b'Category: compute; scheme="'
                + INFRA.encode()
                + b'"; class="kind"\nX-OCCI-Attribute: occi.core.title="'
                + b"v" * rng.choice([1000, 100_000, 900_000])
                + b'"\n'
            )
            return Planned("POST", "/compute/", {}, headers, body, "huge-value")
        if which == 3:  # big headers
            size = rng.choice([8_000, 60_000, 70_000])
            headers.append(("X-OCCI-Attribute", b'occi.core.title="' + b"h" * size + b'"'))
            return Planned("POST", "/compute/", {}, headers, b"", "big-header")
        if which == 4 and rng.random() < 0.2:  # over the body limit (1 MiB by default)
            return Planned("POST", "/compute/", {}, headers, b"X" * 1_100_000, "huge-body")
        body = "".join(
            f'Category: c{i}; scheme="{USER_SCHEME}"; class="mixin"\n'
            for i in range(rng.choice([100, 1000]))
        ).encode()
        return Planned(
            rng.choice(["GET", "POST"]),
            rng.choice(["/-/", "/compute/"]),
            {},
            headers,
            body,
            "many-categories",
        )


def _b64(text: str) -> bytes:
    import base64

    return base64.b64encode(text.encode("utf-8", "surrogatepass"))


def _random_text(rng: random.Random, limit: int) -> str:
    size = rng.randrange(limit)
    chars = []
    for _ in range(size):
        roll = rng.random()
        if roll < 0.7:
            chars.append(rng.choice(GARBAGE_CHARS))
        elif roll < 0.95:
            chars.append(chr(rng.randrange(32, 0x2FFF)))
        else:
            chars.append(chr(rng.choice([0, 1, 9, 10, 13, 27, 0xD800, 0xFFFF, 0x10FFFF])))
    return "".join(chars)


def _header_bytes(rng: random.Random) -> bytes:
    """A header value h11 will send: no CR, LF or NUL, but anything else, obs-text included."""
    raw = (
        rng.randbytes(rng.randrange(0, 120))
        if rng.random() < 0.3
        else _random_text(rng, 120).encode("utf-8", "surrogatepass")
    )
    return raw.replace(b"\r", b" ").replace(b"\n", b" ").replace(b"\x00", b" ").strip()


def _json_document(path: str, structures: list[tuple[str, str]]) -> Any:
    kinds = [v for n, v in structures if n == "Category" and 'class="kind"' in v]
    mixins = [v for n, v in structures if n == "Category" and 'class="kind"' not in v]
    attributes: dict[str, Any] = {}
    for name, value in structures:
        if name == "X-OCCI-Attribute":
            key, _, raw = value.partition("=")
            try:
                attributes[key.strip()] = json.loads(raw)
            except ValueError:
                attributes[key.strip()] = raw
    locations = [v for n, v in structures if n == "X-OCCI-Location"]
    if locations:
        return {"resources": [{"location": loc} for loc in locations]}
    actions = [v for v in mixins if 'class="action"' in v]
    if actions:
        return {"action": _type_id(actions[0]), "attributes": attributes}
    if path.startswith("/-/") and mixins:
        term = mixins[0].split(";")[0]
        return {"term": term, "scheme": _scheme(mixins[0]), "location": f"/tags/{term}/"}
    document: dict[str, Any] = {}
    if kinds:
        document["kind"] = _type_id(kinds[0])
    if mixins:
        document["mixins"] = [_type_id(m) for m in mixins]
    if "occi.core.source" in attributes or "occi.core.target" in attributes:
        document["source"] = {"location": attributes.pop("occi.core.source", "/compute/x")}
        document["target"] = {"location": attributes.pop("occi.core.target", "/network/x")}
    if attributes:
        document["attributes"] = attributes
    return document or None


def _scheme(value: str) -> str:
    return value.split('scheme="', 1)[1].split('"', 1)[0]


def _type_id(value: str) -> str:
    return _scheme(value) + value.split(";", 1)[0].strip()


def _wrong_types(rng: random.Random) -> Any:
    wrong = [None, True, 1, -1.5, "s", [], {}, [1, "a"], {"location": 5}, "x" * 10_000, 10**40]
    shape = rng.randrange(6)
    if shape == 0:
        return {"kind": rng.choice(wrong), "attributes": rng.choice(wrong)}
    if shape == 1:
        return {
            "kind": INFRA + "compute",
            "attributes": {rng.choice(ATTRIBUTE_NAMES): rng.choice(wrong)},
        }
    if shape == 2:
        return {"action": rng.choice(wrong), "attributes": {"method": rng.choice(wrong)}}
    if shape == 3:
        return {"resources": [rng.choice(wrong) for _ in range(3)]}
    if shape == 4:
        return {
            "term": rng.choice(wrong),
            "scheme": rng.choice(wrong),
            "location": rng.choice(wrong),
        }
    return {
        "kind": INFRA + "networkinterface",
        "source": rng.choice(wrong),
        "target": rng.choice(wrong),
        "links": rng.choice(wrong),
    }


# --- running ------------------------------------------------------------------------------------


def run(config: FuzzConfig, log: Callable[[str], None] = lambda _: None) -> FuzzReport:
    """Send the requests; the verdict needs `finish` (alive + consistency) as well."""
    learned = Learned()
    generator = Generator(config.seed, config.tokens, learned)
    report = FuzzReport()
    lock = threading.Lock()
    counter = iter(range(config.requests))
    started = time.monotonic()
    deadline = started + config.time_limit
    local = threading.local()

    def client() -> httpx.Client:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=config.url, timeout=config.timeout)
        return local.client  # type: ignore[no-any-return]

    def next_index() -> int | None:
        with lock:
            if time.monotonic() > deadline:
                return None
            return next(counter, None)

    def worker() -> None:
        while (index := next_index()) is not None:
            plan = generator.planned(index)
            status, text, location = _send(client(), plan)
            rng = random.Random(index)
            with lock:
                report.sent += 1
                report.labels[plan.label] += 1
                if status == 0:
                    report.unsent += 1
                    continue
                if status == -1:
                    report.oversized_responses += 1
                    continue
                if status is None:
                    report.transport_error_count += 1
                    if len(report.transport_errors) < 20:
                        report.transport_errors.append(f"#{index} {text} <- {plan.summary()}")
                    continue
                report.statuses[status] += 1
                if status >= 500:
                    report.server_error_count += 1
                    if len(report.server_errors) < 20:
                        report.server_errors.append(
                            f"#{index} {status} {text[:200]!r} <- {plan.summary()}"
                        )
                if report.sent % 10_000 == 0:
                    log(f"{report.sent} requests, {report.by_class()}")
            if location:
                learned.add_entity(location, rng)

    # Something to aim at from the first request on.
    _prime(config, learned)
    with ThreadPoolExecutor(max_workers=config.concurrency) as pool:
        for future in [pool.submit(worker) for _ in range(config.concurrency)]:
            future.result()
    report.duration = time.monotonic() - started
    return report


def _send(client: httpx.Client, plan: Planned) -> tuple[int | None, str, str | None]:
    try:
        headers = [(name.encode("latin-1"), value) for name, value in plan.headers]
        response = client.request(
            plan.method, plan.path, params=plan.params, headers=headers, content=plan.body
        )
    except (httpx.LocalProtocolError, httpx.InvalidURL, UnicodeError) as error:
        return 0, f"not sent: {error}", None  # the client refused to send it: no server fault
    except httpx.RemoteProtocolError as error:
        if "Receive buffer too long" in str(error):  # answered, with headers over h11's limit
            return -1, "response headers larger than the client reads", None
        return None, f"{type(error).__name__}: {error}", None
    except httpx.HTTPError as error:
        return None, f"{type(error).__name__}: {error}", None
    location = response.headers.get("location") if response.status_code == 201 else None
    path = "/" + location.split("/", 3)[3] if location and location.count("/") >= 3 else None
    return response.status_code, response.text[:300], path


def _prime(config: FuzzConfig, learned: Learned) -> None:
    """A few real entities of every kind, so mutated requests have targets."""
    headers = {"X-Auth-Token": config.tokens[0], "Content-Type": "text/plain"}
    rng = random.Random(config.seed)
    bodies = {
        "/compute/": f"Category: {category('compute', INFRA, 'kind')}\n",
        "/storage/": f"Category: {category('storage', INFRA, 'kind')}\n"
        "X-OCCI-Attribute: occi.storage.size=1\n",
        "/network/": f"Category: {category('network', INFRA, 'kind')}\n",
    }
    with httpx.Client(base_url=config.url, timeout=config.timeout) as client:
        for _ in range(3):
            for path, body in bodies.items():
                response = client.post(path, headers=headers, content=body.encode())
                if response.status_code == 201:
                    learned.add_entity("/" + response.headers["location"].split("/", 3)[3], rng)


def finish(config: FuzzConfig, report: FuzzReport, alive: Callable[[], bool]) -> FuzzReport:
    report.alive = alive()
    if config.database:
        report.database_checked = True
        report.inconsistencies = consistency.problems(config.database)
    return report


def is_alive(url: str, token: str) -> bool:
    try:
        response = httpx.get(url + "/-/", headers={"X-Auth-Token": token}, timeout=30)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


# --- its own server ---------------------------------------------------------------------------


@contextmanager
def own_server(
    database: str | None, workers: int
) -> Iterator[tuple[str, str, list[str], subprocess.Popen[bytes]]]:
    """`occi-server serve` on a free loopback port with a fresh database; yields
    (url, database, [token of project A, token of project B], process)."""
    with tempfile.TemporaryDirectory(prefix="occi-fuzz-") as tmp:
        url_db = database or f"sqlite:///{Path(tmp) / 'occi.sqlite'}"
        binary = Path(sys.executable).parent / "occi-server"
        command = [str(binary)] if binary.exists() else [sys.executable, "-m", "occi_server.cli"]
        tokens = []
        for project in ("fuzz-a", "fuzz-b"):
            out = subprocess.run(
                [
                    *command,
                    "token",
                    "create",
                    "--project",
                    project,
                    "--user",
                    "fuzzer",
                    "--database",
                    url_db,
                ],
                capture_output=True,
                text=True,
                check=True,
                timeout=120,
            )
            tokens.append(out.stdout.strip().splitlines()[-1])
        port = _free_port()
        log = open(Path(tmp) / "server.log", "wb")  # noqa: SIM115 - closed below
        process = subprocess.Popen(
            [
                *command,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--database",
                url_db,
                "--auth",
                "token",
                "--workers",
                str(workers),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "OCCI_DATA_DIR": tmp},
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while not is_alive(url, tokens[0]):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "the server did not start: " + (Path(tmp) / "server.log").read_text()
                    )
                time.sleep(0.2)
            yield url, url_db, tokens, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
            tail = (Path(tmp) / "server.log").read_text(errors="replace").splitlines()
            errors = [line for line in tail if "ERROR" in line or "Traceback" in line]
            if errors:
                print(f"server log: {len(errors)} error lines, e.g. {errors[:3]}", file=sys.stderr)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fuzz", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--time-limit", type=float, default=1800.0, help="seconds (default 1800)")
    parser.add_argument("--url", help="a running server on loopback (default: start one)")
    parser.add_argument(
        "--token", action="append", default=[], help="with --url: tokens, first = main project"
    )
    parser.add_argument(
        "--database",
        help="its database URL, for the consistency check (and for the server started)",
    )
    parser.add_argument("--workers", type=int, default=1, help="workers of the server started")
    args = parser.parse_args(argv)

    def log(line: str) -> None:
        print(line, flush=True)

    if args.url:
        host = httpx.URL(args.url).host
        if host not in ("127.0.0.1", "localhost", "::1") and not host.startswith("127."):
            parser.error("--url must be a loopback address")
        if not args.token:
            parser.error("--url needs --token")
        config = FuzzConfig(
            args.url,
            args.token,
            args.requests,
            args.seed,
            args.concurrency,
            args.time_limit,
            args.database,
        )
        report = finish(config, run(config, log), lambda: is_alive(args.url, args.token[0]))
    else:
        with own_server(args.database, args.workers) as (url, database, tokens, process):
            config = FuzzConfig(
                url, tokens, args.requests, args.seed, args.concurrency, args.time_limit, database
            )
            log(f"server {url} on {database.split('?')[0]}, {args.workers} worker(s)")
            report = run(config, log)
            report = finish(
                config, report, lambda: process.poll() is None and is_alive(url, tokens[0])
            )
    print(report.text())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
