"""The capability objects a CDMI client reads before it acts (CDMI 1.1.1 §12): the system-wide
ones, one per kind of container and one per kind of data object. Only what the server really
does is listed; a store that cannot write byte ranges says so by leaving the name out."""

from __future__ import annotations

from dataclasses import dataclass

ROOT = "cdmi_capabilities/"
TRUE = "true"


@dataclass(frozen=True, slots=True)
class Capability:
    path: str  # below ROOT, e.g. "container/volumes/" ("" for the system-wide object)
    values: dict[str, str]
    children: tuple[str, ...] = ()

    @property
    def uri(self) -> str:
        return "/" + ROOT + self.path

    @property
    def parent_uri(self) -> str:
        if not self.path:
            return "/"
        parent = self.path.rstrip("/").rpartition("/")[0]
        return "/" + ROOT + (parent + "/" if parent else "")

    @property
    def name(self) -> str:
        return (self.path.rstrip("/").rpartition("/")[2] + "/") if self.path else ROOT


def catalogue(
    *,
    containers: tuple[str, ...],
    ranged_volume_writes: bool,
    volume_rewrites: bool,
    max_upload: int,
    export_occi: bool,
) -> dict[str, Capability]:
    """Every capability object by its path below ROOT: only the containers the store has and
    only the writes it can do (a backend's ObjectFeatures)."""
    system = {
        "cdmi_dataobjects": TRUE,
        "cdmi_object_access_by_ID": TRUE,
        "cdmi_size": TRUE,
        "cdmi_export_container_occi": TRUE if export_occi else "",
    }
    listed = {
        "cdmi_list_children": TRUE,
        "cdmi_list_children_range": TRUE,
        "cdmi_read_metadata": TRUE,
    }
    creating = {
        **listed,
        "cdmi_create_dataobject": TRUE,
        "cdmi_create_value_range": TRUE,  # X-CDMI-Partial uploads
        "cdmi_assignedsize": str(max_upload),
    }
    readable = {
        "cdmi_read_value": TRUE,
        "cdmi_read_value_range": TRUE,
        "cdmi_read_metadata": TRUE,
        "cdmi_size": TRUE,
    }
    volume = {**readable, "cdmi_delete_dataobject": TRUE}
    if volume_rewrites:
        volume["cdmi_modify_value"] = TRUE
    if ranged_volume_writes:
        volume["cdmi_modify_value_range"] = TRUE
    export = {"cdmi_export_container_occi": TRUE} if export_occi else {}
    has = containers
    objects = tuple(o for c, o in (("images", "image/"), ("snapshots", "snapshot/")) if c in has)
    found = [
        Capability("", {k: v for k, v in system.items() if v}, ("container/", "dataobject/")),
        Capability("container/", listed, tuple(f"{c}/" for c in has)),
        Capability("container/volumes/", {**creating, **export}),
        Capability("container/images/", creating),
        Capability("container/snapshots/", listed),
        Capability("dataobject/", volume, objects),
        Capability("dataobject/image/", {**readable, "cdmi_delete_dataobject": TRUE}),
        Capability("dataobject/snapshot/", readable),
    ]
    wanted = {"", "container/", "dataobject/"} | {f"container/{c}/" for c in has}
    wanted |= {f"dataobject/{o}" for o in objects}
    return {c.path: c for c in found if c.path in wanted}


# Which capability object describes each container and each kind of data object.
CONTAINER_CAPABILITY = {
    "": "container/",
    "volumes": "container/volumes/",
    "images": "container/images/",
    "snapshots": "container/snapshots/",
}
OBJECT_CAPABILITY = {
    "volumes": "dataobject/",
    "images": "dataobject/image/",
    "snapshots": "dataobject/snapshot/",
}
