"""A deliberately independent OCCI text client for tests (does not reuse the server's parser).

`fmt` is "text/plain" (structures in the body), "text/occi" (structures in headers) or a JSON
media type (arguments still given in text syntax, sent and read back as JSON by occi_json).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import httpx

from tests.support import occi_json

INFRA = "http://schemas.ogf.org/occi/infrastructure#"
CORE = "http://schemas.ogf.org/occi/core#"
COMPUTE_KIND = f'compute; scheme="{INFRA}"; class="kind"'
STORAGE_KIND = f'storage; scheme="{INFRA}"; class="kind"'
NETWORK_KIND = f'network; scheme="{INFRA}"; class="kind"'


@dataclass
class Parsed:
    categories: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)
    locations: list[str] = field(default_factory=list)

    def attr(self, name: str) -> str | None:
        value = self.attributes.get(name)
        if value is not None and value.startswith('"'):
            return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        return value

    def category_terms(self) -> list[str]:
        return [c.split(";", 1)[0].strip() for c in self.categories]


def _split(value: str) -> list[str]:
    """Split a comma-joined header value outside quotes and angle brackets."""
    parts, depth, quoted, current = [], 0, False, []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and quoted and i + 1 < len(value):
            current.append(value[i : i + 2])
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif ch == "<" and not quoted:
            depth += 1
        elif ch == ">" and not quoted:
            depth -= 1
        if ch == "," and not quoted and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
        i += 1
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return parts


def parse(response: httpx.Response) -> Parsed:
    parsed = Parsed()
    pairs: list[tuple[str, str]] = []
    ctype = response.headers.get("content-type", "")
    if occi_json.is_json(ctype):
        return Parsed(*occi_json.structures(response.json(), str(response.url)))
    if ctype.startswith("text/occi") and not ctype.startswith("text/occi+plain"):
        pairs = [(k, v) for k, v in response.headers.multi_items()]
    else:
        for line in response.text.splitlines():
            if ":" in line:
                name, _, value = line.partition(":")
                pairs.append((name, value.strip()))
    for name, value in pairs:
        lname = name.lower()
        if lname == "category":
            parsed.categories.extend(_split(value))
        elif lname == "link":
            parsed.links.extend(_split(value))
        elif lname == "x-occi-attribute":
            for item in _split(value):
                key, _, val = item.partition("=")
                parsed.attributes[key.strip()] = val.strip()
        elif lname == "x-occi-location":
            parsed.locations.extend(_split(value))
    return parsed


@dataclass
class OcciClient:
    base: str
    token: str | None
    fmt: str = "text/plain"
    # An in-process client (tests/support/in_process.py); None sends over the network.
    http: httpx.Client | None = None

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Accept": self.fmt}
        if self.token:
            headers["X-Auth-Token"] = self.token
        headers.update(extra or {})
        return headers

    def request(
        self,
        method: str,
        path: str,
        *,
        categories: list[str] = (),  # type: ignore[assignment]
        attributes: list[str] = (),
        links: list[str] = (),  # type: ignore[assignment]
        locations: list[str] = (),
        headers: dict[str, str] | None = None,  # type: ignore[assignment]
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        lines = (
            [("Category", c) for c in categories]
            + [("Link", x) for x in links]
            + [("X-OCCI-Attribute", a) for a in attributes]
            + [("X-OCCI-Location", loc) for loc in locations]
        )
        send = self._headers(headers)
        body = b""
        if occi_json.is_json(self.fmt):
            document = occi_json.request_document(
                path, list(categories), list(attributes), list(links), list(locations)
            )
            if document is not None:
                send["Content-Type"] = self.fmt
                body = json.dumps(document).encode()
        elif self.fmt == "text/occi":
            send["Content-Type"] = "text/occi"
            merged: dict[str, list[str]] = {}
            for name, value in lines:
                merged.setdefault(name, []).append(value)
            for name, values in merged.items():
                send[name] = ", ".join(values)
        elif lines:
            send["Content-Type"] = self.fmt
            body = "".join(f"{n}: {v}\r\n" for n, v in lines).encode()
        url = path if path.startswith("http") else self.base + path
        if self.http is not None:
            return self.http.request(method, url, headers=send, content=body, params=params)
        return httpx.request(method, url, headers=send, content=body, params=params, timeout=30)

    def get(self, path: str, **kw: object) -> httpx.Response:
        return self.request("GET", path, **kw)  # type: ignore[arg-type]

    def post(self, path: str, **kw: object) -> httpx.Response:
        return self.request("POST", path, **kw)  # type: ignore[arg-type]

    def put(self, path: str, **kw: object) -> httpx.Response:
        return self.request("PUT", path, **kw)  # type: ignore[arg-type]

    def delete(self, path: str, **kw: object) -> httpx.Response:
        return self.request("DELETE", path, **kw)  # type: ignore[arg-type]

    def create(self, path: str, **kw: object) -> str:
        """Create and return the new entity's path (asserting 201 + Location)."""
        response = self.post(path, **kw)
        assert response.status_code == 201, (response.status_code, response.text)
        location = response.headers["location"]
        assert location.startswith("http://")
        return "/" + location.split("/", 3)[3]
