"""8 concurrent clients in two projects, each running a random mix of creates, partial updates,
actions, links, floating IPs, mixin membership and deletes against the real server.

Afterwards: no lost update (read-modify-write cycles under If-Match add up exactly; a stale
ETag is always a 412), no 5xx, no orphan link, no address given twice, each project's
collection holds exactly what its own clients created and did not delete, and the database
is consistent. OCCI_RELIABILITY_FULL=1 runs 1,000 operations per client (the CI runs 60).
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from tests.support.server import ServerProcess

from .conftest import StartServer
from .workload import COMPUTE_ACTION, FULL, INSTANCE_ACTION, Api, assert_consistent

CLIENTS = 8
OPERATIONS = 1_000 if FULL else 60
PROJECTS = ("conc-a", "conc-b")
# What each operation may answer; anything else (and any 5xx) fails the test.
ALLOWED = {
    "increment": {200, 412},
    "stale": {412},
    "create": {201},
    "update": {200, 412},
    "action": {200, 409},
    "link": {201, 409},
    "float": {200, 409},
    "tag": {200},
    "untag": {200},
    "delete": {200},
}


@dataclass
class Project:
    name: str
    token: str
    counter: str
    network: str
    tag: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    created: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)
    increments: int = 0


@dataclass
class Outcome:
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)


def client_run(server: ServerProcess, project: Project, index: int, outcome: Outcome) -> None:
    rng = random.Random(index)
    api = Api(server.url, project.token)
    mine: list[str] = []
    try:
        for _ in range(OPERATIONS):
            name, status = operation(api, project, mine, rng)
            with project.lock:
                outcome.statuses[(name, status)] += 1
                if status not in ALLOWED[name]:
                    outcome.unexpected.append(f"{project.name}#{index} {name} -> {status}")
    finally:
        api.close()


def operation(api: Api, project: Project, mine: list[str], rng: random.Random) -> tuple[str, int]:
    roll = rng.random()
    if roll < 0.25 or not mine:
        if not mine and roll >= 0.25:
            return create(api, project, mine)
        return increment(api, project)
    if roll < 0.32:
        return stale_update(api, project)
    if roll < 0.45:
        return create(api, project, mine)
    vm = rng.choice(mine)
    if roll < 0.55:
        etag = api.send("GET", vm).headers.get("etag", '"0"')
        title = f'occi.core.title="t{rng.randrange(1000)}"'
        response = api.send("POST", vm, [("X-OCCI-Attribute", title)], headers={"If-Match": etag})
        return "update", response.status_code
    if roll < 0.65:
        term = rng.choice(["stop", "start", "suspend", "restart"])
        return "action", api.action(vm, term, COMPUTE_ACTION).status_code
    if roll < 0.75:
        return "link", api.interface(vm, project.network).status_code
    if roll < 0.80:
        pool = 'org.openstack.network.floating.pool="nova"'
        return "float", api.action(vm, "alloc_float_ip", INSTANCE_ACTION, pool).status_code
    if roll < 0.87:
        return "tag", api.send("POST", project.tag, [("X-OCCI-Location", vm)]).status_code
    if roll < 0.93:
        return "untag", api.send("DELETE", project.tag, [("X-OCCI-Location", vm)]).status_code
    mine.remove(vm)
    status = api.send("DELETE", vm).status_code
    if status == 200:
        with project.lock:
            project.deleted.add(vm)
    return "delete", status


def create(api: Api, project: Project, mine: list[str]) -> tuple[str, int]:
    response = api.send("POST", "/compute/", [("Category", _COMPUTE)])
    if response.status_code == 201:
        path = "/" + response.headers["location"].split("/", 3)[3]
        mine.append(path)
        with project.lock:
            project.created.add(path)
    return "create", response.status_code


def increment(api: Api, project: Project) -> tuple[str, int]:
    """One read-modify-write cycle of the counter; a 412 means someone was faster."""
    current = api.send("GET", project.counter)
    value = int(api.attributes(current)["occi.core.title"])
    response = api.send(
        "POST",
        project.counter,
        [("X-OCCI-Attribute", f'occi.core.title="{value + 1}"')],
        headers={"If-Match": current.headers["etag"]},
    )
    if response.status_code == 200:
        with project.lock:
            project.increments += 1
    return "increment", response.status_code


def stale_update(api: Api, project: Project) -> tuple[str, int]:
    """A write with an ETag the counter has already moved past must change nothing."""
    version = int(api.send("GET", project.counter).headers["etag"].strip('"'))
    stale = f'"{version - 1}"'
    response = api.send(
        "POST",
        project.counter,
        [("X-OCCI-Attribute", 'occi.core.title="-1000000"')],
        headers={"If-Match": stale},
    )
    return "stale", response.status_code


_COMPUTE = 'compute; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind"'


def setup_project(server: ServerProcess, name: str, cidr: str) -> Project:
    api = Api(server.url, server.token(name))
    counter = api.compute("0")
    # Move the counter past version 1, so that version - 1 is a real, stale version.
    api.send("POST", counter, [("X-OCCI-Attribute", 'occi.core.summary="counter"')])
    network = api.network(cidr)
    api.mixin("conc", "/conc-tags/")
    api.close()
    return Project(name, api.token, counter, network, "/conc-tags/")


def test_concurrent_clients_lose_no_update_and_leave_no_orphan_or_double_address(
    start_server: StartServer,
) -> None:
    server = start_server()
    projects = [
        setup_project(server, PROJECTS[0], "10.61.0.0/27"),
        setup_project(server, PROJECTS[1], "10.62.0.0/27"),
    ]
    outcome = Outcome()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        futures = [
            pool.submit(client_run, server, projects[i % 2], i, outcome) for i in range(CLIENTS)
        ]
        for future in futures:
            future.result()

    print(sorted(outcome.statuses.items()))
    assert outcome.unexpected == []
    assert sum(outcome.statuses.values()) == CLIENTS * OPERATIONS
    for project in projects:
        api = Api(server.url, project.token)
        # No lost update: every successful increment is in the value, and nothing else is.
        counter = api.attributes(api.send("GET", project.counter))
        assert counter["occi.core.title"] == str(project.increments)
        # Each project sees exactly what its own clients made and did not delete.
        alive = project.created - project.deleted
        assert set(api.locations("/compute/")) == alive | {project.counter}
        assert set(api.locations(project.tag)) <= alive
        for link in api.locations("/networklink/"):
            assert api.send("GET", link).status_code == 200
        api.close()
    assert outcome.statuses[("increment", 200)] == sum(p.increments for p in projects) > 0
    assert outcome.statuses[("stale", 412)] > 0
    assert_consistent(server)
