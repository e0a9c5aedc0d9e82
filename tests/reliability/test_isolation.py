"""Tenant isolation under attack: project B, with a valid token of its own, throws a seeded
random sequence of requests at project A's resources — their paths and absolute URLs, filters
on A's ids and titles, A's mixin collections, links and inline links to A's resources, actions,
PUT at A's paths, deletion of A's user mixins and security group, collection-wide deletes —
and learns nothing and changes nothing.

Requests aimed at A's things get 400, 401, 403 or 404. Requests that are B's own business by
the rules (a PUT creating at a path free in B's namespace, a filter over B's own collection,
B's own mixin at the same location) may succeed, but only on B's side. Either way no answer to
B carries anything of A's (ids, titles, addresses), and A's state — every rendering with its
ETag, A's listings and query interface — is identical before and after.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import partial

import httpx

from .conftest import StartServer
from .workload import COMPUTE, COMPUTE_ACTION, FULL, INFRA, INSTANCE_ACTION, Api, assert_consistent

ATTACKS = 600 if FULL else 150
SECRET = "A-SECRET-7f3c"
A_CIDR = "10.77.33.0/24"
GROUP = "http://schemas.openstack.org/infrastructure/security/group#"
DENIED = {400, 401, 403, 404, 405}


class Victim:
    """Project A's estate: every kind of thing B might go for."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.compute = api.compute(SECRET + "-vm")
        self.storage = api.storage(3)
        self.network = api.network(A_CIDR)
        self.interface = (
            "/" + api.interface(self.compute, self.network).headers["location"].split("/", 3)[3]
        )
        attached = api.attach(self.compute, self.storage)
        assert attached.status_code == 201, attached.text
        self.storagelink = "/" + attached.headers["location"].split("/", 3)[3]
        api.mixin("a_tag", "/a-tags/")
        assert api.send("POST", "/a-tags/", [("X-OCCI-Location", self.compute)]).status_code == 200
        group = (
            f'a_grp; scheme="{GROUP}"; class="mixin"; '
            'rel="http://schemas.ogf.org/occi/infrastructure/security#group"; '
            'location="/a-groups/"'
        )
        assert api.send("POST", "/-/", [("Category", group)]).status_code == 200
        self.entities = [self.compute, self.storage, self.network, self.interface, self.storagelink]
        self.ids = [p.rsplit("/", 1)[1] for p in self.entities]

    def snapshot(self) -> dict[str, tuple[int, str, str | None]]:
        paths = [*self.entities, "/", "/compute/", "/a-tags/", "/a-groups/", "/-/", "/networklink/"]
        state = {}
        for path in paths:
            response = self.api.send("GET", path)
            body = "\n".join(sorted(response.text.splitlines()))
            state[path] = (response.status_code, body, response.headers.get("etag"))
        return state

    def leaked(self, response: httpx.Response) -> list[str]:
        """A's marks in B's answer that B did not send itself (an error may quote the path B
        asked for; it must not tell B anything new)."""
        seen = response.text + " " + " ".join(f"{k}: {v}" for k, v in response.headers.items())
        request = response.request
        sent = f"{request.url} {request.headers} {request.content!r}"
        marks = [SECRET, A_CIDR.rsplit(".", 1)[0] + ".", "a_grp", *self.ids]
        return [m for m in marks if m in seen and m not in sent]


def attacks(
    a: Victim, b: Api, base: str
) -> list[tuple[str, Callable[[], httpx.Response], set[int]]]:
    """(name, request, statuses allowed) — B's whole repertoire."""
    own = {200, 201, *DENIED}
    foreign = [*a.entities, *(base + p for p in a.entities)]
    link = f'<{a.storage}>; rel="{INFRA}storage"; category="{INFRA}storagelink"'
    plays: list[tuple[str, Callable[[], httpx.Response], set[int]]] = []
    for target in foreign:
        plays += [
            (f"GET {target}", partial(b.send, "GET", target), DENIED),
            (f"HEAD {target}", partial(b.send, "HEAD", target), DENIED),
            (f"DELETE {target}", partial(b.send, "DELETE", target), DENIED),
            (
                f"update {target}",
                partial(b.send, "POST", target, [("X-OCCI-Attribute", 'occi.core.title="x"')]),
                DENIED,
            ),
            (
                f"If-Match {target}",
                partial(b.send, "DELETE", target, headers={"If-Match": '"1"'}),
                DENIED,
            ),
        ]
    for term, scheme, params in (
        ("stop", COMPUTE_ACTION, ()),
        ("alloc_float_ip", INSTANCE_ACTION, ('org.openstack.network.floating.pool="nova"',)),
        ("chg_pwd", INSTANCE_ACTION, ('org.openstack.credentials.admin_pwd="x"',)),
        ("create_image", INSTANCE_ACTION, ('org.openstack.snapshot.image_name="stolen"',)),
    ):
        plays.append(
            (
                f"action {term}",
                partial(b.action, a.compute, term, scheme, *params),
                DENIED,
            )
        )
    plays += [
        (
            "network down",
            lambda: b.action(a.network, "down", INFRA.replace("#", "/network/action#")),
            DENIED,
        ),
        ("storagelink to A's volume", lambda: b.attach(b_vm(b), a.storage), DENIED),
        ("storagelink by URL", lambda: b.attach(b_vm(b), base + a.storage), DENIED),
        ("interface to A's network", lambda: b.interface(b_vm(b), a.network), DENIED),
        ("link from A's compute", lambda: b.attach(a.compute, b_volume(b)), DENIED),
        (
            "inline link to A",
            lambda: b.send("POST", "/compute/", [("Category", COMPUTE), ("Link", link)]),
            DENIED,
        ),
        # For B, A's mixin locations are plain paths with nothing below them (200, empty), as
        # any unused path is: checked to be indistinguishable at the end.
        ("A's mixin collection", lambda: b.send("GET", "/a-tags/"), own),
        (
            "join A's mixin",
            lambda: b.send("POST", "/a-tags/", [("X-OCCI-Location", a.compute)]),
            DENIED,
        ),
        ("empty A's mixin", lambda: b.send("DELETE", "/a-tags/"), own),
        ("A's group members", lambda: b.send("GET", "/a-groups/"), own),
        (
            "delete A's user mixin",
            lambda: b.send("DELETE", "/-/", [("Category", A_TAG)]),
            DENIED,
        ),
        (
            "delete A's group",
            lambda: b.send(
                "DELETE", "/-/", [("Category", f'a_grp; scheme="{GROUP}"; class="mixin"')]
            ),
            DENIED,
        ),
        (
            "filter A's group",
            lambda: b.send("GET", "/-/", [("Category", f'a_grp; scheme="{GROUP}"; class="mixin"')]),
            DENIED,
        ),
        (
            "B's own tag with A's compute",
            lambda: b.send("POST", "/b-tags/", [("X-OCCI-Location", a.compute)]),
            DENIED,
        ),
        (
            "tenant header of A",
            lambda: b.send("GET", "/compute/", headers={"X-Auth-Tenant-Id": "iso-a"}),
            DENIED,
        ),
        # B's own business: may succeed, on B's side only.
        (
            "filter by A's id",
            lambda: b.send("GET", "/", [("X-OCCI-Attribute", f'occi.core.id="{a.ids[0]}"')]),
            own,
        ),
        (
            "filter by A's title",
            lambda: b.send(
                "GET", "/compute/", [("X-OCCI-Attribute", f'occi.core.title="{SECRET}-vm"')]
            ),
            own,
        ),
        (
            "filter by A's address",
            lambda: b.send(
                "GET", "/network/", [("X-OCCI-Attribute", f'occi.network.address="{A_CIDR}"')]
            ),
            own,
        ),
        ("list everything", lambda: b.send("GET", "/"), own),
        ("query interface", lambda: b.send("GET", "/-/"), own),
        # Paths and ids are per project: B may take A's for itself (and gives them back).
        (
            "PUT at A's path",
            lambda: undo(b, b.send("PUT", a.compute, [("Category", COMPUTE)])),
            own,
        ),
        (
            "B's own compute with A's id",
            lambda: undo(
                b,
                b.send(
                    "POST",
                    "/compute/",
                    [("Category", COMPUTE), ("X-OCCI-Attribute", f'occi.core.id="{a.ids[0]}"')],
                ),
            ),
            own,
        ),
        ("B's mixin at A's location", lambda: b_mixin_at_a_location(b), own),
        ("delete B's computes", lambda: b.send("DELETE", "/compute/"), own),
        ("delete B's everything below /", lambda: b.send("DELETE", "/network/"), own),
    ]
    return plays


_B_THINGS: dict[str, str] = {}
A_TAG = 'a_tag; scheme="http://reliability.example/tags#"; class="mixin"'


def undo(b: Api, response: httpx.Response) -> httpx.Response:
    """Delete what B just created (at A's path, or with A's id), so that later attacks meet A's
    things, not B's own."""
    if response.status_code == 201:
        assert b.send("DELETE", response.headers["location"]).status_code == 200
    return response


def b_mixin_at_a_location(b: Api) -> httpx.Response:
    response = b.send("POST", "/-/", [("Category", f'{A_TAG}; location="/a-tags/"')])
    if response.status_code == 200:
        assert b.send("DELETE", "/-/", [("Category", A_TAG)]).status_code == 200
    return response


def b_vm(b: Api) -> str:
    if b.send("GET", _B_THINGS.get("vm", "/compute/none")).status_code != 200:
        _B_THINGS["vm"] = b.compute("b-vm")
    return _B_THINGS["vm"]


def b_volume(b: Api) -> str:
    if b.send("GET", _B_THINGS.get("volume", "/storage/none")).status_code != 200:
        _B_THINGS["volume"] = b.storage()
    return _B_THINGS["volume"]


def test_project_b_can_neither_read_nor_change_anything_of_project_a(
    start_server: StartServer,
) -> None:
    server = start_server()
    a = Victim(Api(server.url, server.token("iso-a")))
    b = Api(server.url, server.token("iso-b"))
    b.mixin("b_tag", "/b-tags/")
    before = a.snapshot()
    plays = attacks(a, b, server.url)
    rng = random.Random(20261125)
    failures = []
    for _ in range(ATTACKS):
        name, play, allowed = rng.choice(plays)
        response = play()
        if response.status_code not in allowed:
            failures.append(f"{name}: {response.status_code} {response.text[:120]!r}")
        if leaked := a.leaked(response):
            failures.append(f"{name}: B saw {leaked}")
    for name, play, allowed in plays:  # and each at least once
        response = play()
        if response.status_code not in allowed or a.leaked(response):
            failures.append(f"{name}: {response.status_code} {a.leaked(response)}")
    assert failures == [], "\n".join(sorted(set(failures)))
    assert a.snapshot() == before
    # No oracle either: A's mixin locations answer B exactly as a path nobody uses does.
    for method in ("GET", "DELETE"):
        for path in ("/a-tags/", "/a-groups/"):
            mine, unused = b.send(method, path), b.send(method, "/nobody-uses-this/")
            assert (mine.status_code, mine.text) == (unused.status_code, unused.text)
    assert_consistent(server)
