"""Which data object a path of this server's CDMI namespace names, when something other than a
CDMI request points at one (a storagelink's target, an OVF descriptor's file href):
`/cdmi/<project>/<container>/<name>` or `/cdmi/cdmi_objectid/<objectID>`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import unquote

from occi_server.cdmi import objectid

PREFIX = "/cdmi/"


class ReferenceError(Exception):
    """The path names no data object of the caller's project (the message says why)."""


def is_cdmi(path: str) -> bool:
    return path.startswith(PREFIX)


def resolve(
    path: str,
    project: str,
    enterprise: int,
    containers: Iterable[str],
    names: Callable[[str], Iterable[str]],
) -> tuple[str, str]:
    """(container, name) of the data object `path` names; `names(container)` lists a
    container's objects (asked only for an object ID)."""
    parts = [unquote(p) for p in path.removeprefix(PREFIX).split("?")[0].strip("/").split("/")]
    if len(parts) == 2 and parts[0] == "cdmi_objectid":
        wanted = parts[1].upper()
        if not objectid.is_valid(wanted, enterprise):
            raise ReferenceError(f"{path[:120]}: not an object ID of this server")
        for container in containers:
            for name in names(container):
                if objectid.for_object(enterprise, project, container, name) == wanted:
                    return container, name
        raise ReferenceError(f"{path[:120]}: no data object of your project has that ID")
    known = tuple(containers)
    if len(parts) == 3 and parts[0] == project and parts[1] in known and parts[2]:
        return parts[1], parts[2]
    raise ReferenceError(
        f"{path[:120]}: not a data object of your project "
        f"(/cdmi/{project}/<{'|'.join(known)}>/<name> or /cdmi/cdmi_objectid/<ID>)"
    )
