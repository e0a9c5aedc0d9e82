"""`occi-server quota show|set --project NAME`: a project's limits and what it holds.

The limits and their meanings are the embedded cloud's (backends/local/quotas.py); the
OpenStack backend's quotas are OpenStack's own (`openstack quota show`), and its refusals reach
the client as OpenStack worded them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from occi_server.config import Config

CommonArguments = Callable[[argparse.ArgumentParser], None]


def add_parser(commands: Any, common: CommonArguments) -> None:
    quota = commands.add_parser("quota", help="a project's quotas (embedded cloud)")
    quota_commands = quota.add_subparsers(dest="quota_command", required=True)
    show = quota_commands.add_parser("show", help="limits and usage of a project")
    common(show)
    show.add_argument("--project", required=True, help="the project's name")
    change = quota_commands.add_parser(
        "set", help="set limits: RESOURCE=N (-1 unlimited) or RESOURCE=default"
    )
    common(change)
    change.add_argument("--project", required=True, help="the project's name")
    change.add_argument("values", nargs="+", metavar="RESOURCE=N")


def run(config: Config, args: argparse.Namespace) -> int:
    from occi_server.backends.local import quotas

    if config.server.backend != "local":
        print("occi-server: quotas of the openstack backend are OpenStack's", file=sys.stderr)
        return 2
    changes: dict[str, int | None] = {}
    if args.quota_command == "set":
        for value in args.values:
            name, sep, number = value.partition("=")
            if not sep or name not in quotas.NAMES:
                print(
                    f"occi-server: {value!r}: expected RESOURCE=N with RESOURCE one of "
                    f"{', '.join(quotas.NAMES)}",
                    file=sys.stderr,
                )
                return 2
            try:
                changes[name] = None if number == "default" else int(number)
            except ValueError:
                print(f"occi-server: {value!r}: N is a whole number or 'default'", file=sys.stderr)
                return 2
            if changes[name] is not None and changes[name] < quotas.UNLIMITED:  # type: ignore[operator]
                print(f"occi-server: {value!r}: -1 is unlimited, nothing is lower", file=sys.stderr)
                return 2
    backend, project_id = _open(config, args.project)
    if project_id is None:
        print(f"occi-server: no project called {args.project}", file=sys.stderr)
        return 1
    try:
        with backend.transaction(project_id) as scope:
            if changes:
                quotas.set_limits(scope, project_id, changes)
            limits, usage = quotas.limits(scope), quotas.usage(scope)
    finally:
        backend.close()
    print(f"project {args.project}")
    print(f"{'resource':<22}{'limit':>10}{'in use':>10}")
    for resource in quotas.RESOURCES:
        limit = limits[resource.name]
        shown = "unlimited" if limit == quotas.UNLIMITED else str(limit)
        print(f"{resource.name:<22}{shown:>10}{quotas.amount_text(usage[resource.name]):>10}")
    return 0


def _open(config: Config, project: str) -> tuple[Any, str | None]:
    from occi_server.backends.local.backend import LocalBackend
    from occi_server.bootstrap import cloud_offer
    from occi_server.db.engine import make_engine
    from occi_server.db.migrate import upgrade
    from occi_server.identity.store import IdentityStore

    upgrade(config.database_url)
    engine = make_engine(config.database_url)
    found = IdentityStore(engine).find_project(project)
    backend = LocalBackend(engine, cloud_offer(config.cloud), quotas=config.quotas.model_dump())
    return backend, found.id if found is not None else None
