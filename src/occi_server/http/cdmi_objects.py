"""What each CDMI path means: the root container, the caller's project container with
`volumes/`, `images/` and `snapshots/`, their data objects (named by OCCI id), the capability
objects and access by object ID. Another project's paths answer 404, as OCCI's do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool

from occi_server.backends.base import ObjectStore, StoredObject
from occi_server.cdmi import bodies, objectid, ranges
from occi_server.cdmi.capabilities import CONTAINER_CAPABILITY, OBJECT_CAPABILITY, catalogue
from occi_server.cdmi.uploads import Partial, Uploads
from occi_server.config import CdmiConfig
from occi_server.context import RequestContext
from occi_server.errors import BadRequest, Conflict, MethodNotAllowed, NotFound
from occi_server.http.cdmi import PREFIX, Exchange, remove_quietly

READS = ["GET", "HEAD"]
OBJECT_METHODS = ["GET", "HEAD", "PUT", "PATCH", "DELETE"]
OBJECTID = "cdmi_objectid"


@dataclass(frozen=True, slots=True)
class Target:
    """A resolved path: `container` None for the root ("") or project container (project set)."""

    kind: str  # "root", "project", "container", "object", "capability"
    container: str = ""
    name: str = ""


class Handlers:
    def __init__(self, settings: CdmiConfig, objects: ObjectStore) -> None:
        self.settings = settings
        self.objects = objects
        self.enterprise = settings.enterprise_number
        self.uploads = Uploads(objects.staging_dir(), settings.partial_expiry)
        features = objects.features
        self.containers = features.containers
        self.capabilities = catalogue(
            containers=features.containers,
            ranged_volume_writes=features.ranged_writes,
            volume_rewrites=features.rewrites,
            max_upload=settings.max_upload_bytes,
            export_occi=True,
        )

    def oid(self, project: str, what: str, name: str) -> str:
        return objectid.for_object(self.enterprise, project, what, name)

    # -- routing ------------------------------------------------------------------------------
    async def handle(self, ex: Exchange, ctx: RequestContext, base_url: str) -> None:
        target = await self._resolve(ex.path, ctx)
        if target.kind == "object":
            if ex.method not in OBJECT_METHODS:
                raise MethodNotAllowed(
                    f"{ex.method} is not allowed on a data object", OBJECT_METHODS
                )
            await _ObjectRequest(self, ex, ctx, target.container, target.name).run()
            return
        if ex.method not in READS:
            what = "a capability" if target.kind == "capability" else "this container"
            raise MethodNotAllowed(
                f"{ex.method} is not allowed on {what} (its children are made by OCCI or PUT)",
                READS,
            )
        if target.kind == "capability":
            await self._capability(ex, target.name)
        else:
            await self._container(ex, ctx, base_url, target)

    async def _resolve(self, path: str, ctx: RequestContext) -> Target:
        parts = path.strip("/").split("/") if path.strip("/") else []
        if not parts:
            return Target("root")
        if parts[0] == "cdmi_capabilities":
            key = "/".join(parts[1:]) + "/" if len(parts) > 1 else ""
            if key not in self.capabilities:
                raise NotFound(f"no capability object {path}")
            return Target("capability", name=key)
        if parts[0] == OBJECTID:
            if len(parts) < 2:
                raise NotFound("an object ID is needed after /cdmi_objectid/")
            found = await run_in_threadpool(self._by_id, parts[1], ctx)
            rest = "/".join(parts[2:])
            return await self._resolve(found + rest if found.endswith("/") else found, ctx)
        if parts[0] != ctx.project_id:
            raise NotFound(f"no container /{parts[0]}/ (yours is /{ctx.project_id}/)")
        if len(parts) == 1:
            return Target("project")
        if parts[1] not in self.containers:
            raise NotFound(f"no container {parts[1]}/ (there are {', '.join(self.containers)})")
        if len(parts) == 2:
            return Target("container", parts[1])
        if len(parts) > 3 or not parts[2]:
            raise NotFound(f"no data object {path} (containers hold data objects only)")
        return Target("object", parts[1], parts[2])

    def _by_id(self, text: str, ctx: RequestContext) -> str:
        """The path of the caller's object with this ID (404 for anyone else's)."""
        if not objectid.is_valid(text, self.enterprise):
            raise NotFound(
                f"{text[:80]}: not an object ID of this server (length, CRC or enterprise number)"
            )
        wanted, project = text.upper(), ctx.project_id
        if wanted == self.oid("", "container", "/"):
            return "/"
        if wanted == self.oid(project, "container", ""):
            return f"/{project}/"
        for key in self.capabilities:
            if wanted == self.oid("", "capability", key):
                return "/cdmi_capabilities/" + key
        for container in self.containers:
            if wanted == self.oid(project, "container", container):
                return f"/{project}/{container}/"
            names = [o.name for o in self.objects.objects(ctx, container)]
            names += [p.name for p in self.uploads.listing(project, container)]
            for name in names:
                if wanted == self.oid(project, container, name):
                    return f"/{project}/{container}/{name}"
        raise NotFound(f"no object with ID {text}")

    # -- capabilities and containers ------------------------------------------------------------
    async def _capability(self, ex: Exchange, key: str) -> None:
        item = self.capabilities[key]
        parent = item.parent_uri.removeprefix("/cdmi_capabilities/")
        parent_id = self.oid("", "capability", parent) if key else self.oid("", "container", "/")
        body = bodies.capability(item, self.oid("", "capability", key), parent_id)
        await ex.json(200, bodies.CAPABILITY, bodies.select(body, ex.fields) if ex.fields else body)

    async def _container(
        self, ex: Exchange, ctx: RequestContext, base_url: str, target: Target
    ) -> None:
        project = ctx.project_id
        exports: dict[str, Any] | None = None
        metadata: dict[str, Any] = {}
        if target.kind == "root":
            place = bodies.Place("/", "", "", self.oid("", "container", "/"), "container/")
            children = [f"{project}/"]
        elif target.kind == "project":
            place = bodies.Place(
                f"{project}/",
                "/",
                self.oid("", "container", "/"),
                self.oid(project, "container", ""),
                "container/",
            )
            children = [f"{c}/" for c in self.containers]
        else:
            container = target.container
            place = bodies.Place(
                f"{container}/",
                f"/{project}/",
                self.oid(project, "container", ""),
                self.oid(project, "container", container),
                CONTAINER_CAPABILITY[container],
            )
            found = await run_in_threadpool(self.objects.objects, ctx, container)
            partial = await run_in_threadpool(self.uploads.listing, project, container)
            children = [o.name for o in found] + [p.name for p in partial]
            metadata["cdmi_size"] = str(sum(o.size for o in found))
            if container == "volumes":
                computes = sorted({base_url + u for o in found for u in o.users})
                exports = {"OCCI/iSCSI": {"identifier": place.object_id, "permissions": computes}}
        children = _children(children, ex.fields)
        body = bodies.container(place, children, metadata, exports)
        await ex.json(200, bodies.CONTAINER, bodies.select(body, ex.fields) if ex.fields else body)

    def place(self, project: str, container: str, name: str) -> bodies.Place:
        return bodies.Place(
            name,
            f"/{project}/{container}/",
            self.oid(project, "container", container),
            self.oid(project, container, name),
            OBJECT_CAPABILITY[container],
        )


def _children(children: list[str], fields: list[str]) -> list[str]:
    for field in fields:
        if field.startswith("children:"):
            span = ranges.field_range(field.partition(":")[2], len(children))
            return children[span.start : span.end + 1]
    return children


class _ObjectRequest:
    """One request on a data object: read, write (whole, ranged, resumable) or delete."""

    def __init__(
        self, handlers: Handlers, ex: Exchange, ctx: RequestContext, container: str, name: str
    ) -> None:
        self.h, self.ex, self.ctx = handlers, ex, ctx
        self.container, self.name = container, name
        self.project = ctx.project_id
        accept = (ex.header("accept") or "").lower()
        content_type = (ex.header("content-type") or "").split(";")[0].strip().lower()
        self.cdmi_read = bodies.OBJECT in accept
        self.cdmi_write = content_type == bodies.OBJECT
        self.content_type = content_type or "application/octet-stream"

    async def run(self) -> None:
        method = self.ex.method
        if method in READS:
            await self._read()
        elif method == "DELETE":
            await self._delete()
        else:
            from occi_server.http.cdmi_writes import write

            await write(self)

    # -- lookups ------------------------------------------------------------------------------
    async def stored(self) -> StoredObject | None:
        try:
            return await run_in_threadpool(self.h.objects.find, self.ctx, self.container, self.name)
        except NotFound:
            return None

    async def partial(self) -> Partial | None:
        return await run_in_threadpool(self.h.uploads.find, self.project, self.container, self.name)

    def metadata(self, item: StoredObject, base_url: str = "") -> dict[str, Any]:
        shown: dict[str, Any] = {"cdmi_size": str(item.size)}
        for name, value in item.attributes.items():
            shown[name] = value if isinstance(value, str) else str(value)
        shown["org.ogf.occi.location"] = base_url + item.location
        if item.users:
            shown["org.ogf.occi.computes"] = [base_url + u for u in item.users]
        return shown

    def base_url(self) -> str:
        return self.ctx.base_url

    # -- reads --------------------------------------------------------------------------------
    async def _read(self) -> None:
        item = await self.stored()
        if item is None:
            await self._read_partial()
            return
        if self.cdmi_read:
            await self._read_cdmi(item)
            return
        if item.busy:
            raise Conflict(f"{self.container}/{self.name}: {item.busy}")
        headers = [("content-type", item.mimetype), ("accept-ranges", "bytes")]
        asked = self.ex.header("range")
        span = ranges.requested(asked, item.size) if asked is not None else None
        status, start, length = 200, 0, item.size
        if span is not None:
            status, start, length = 206, span.start, span.length
            headers.append(("content-range", f"bytes {span.start}-{span.end}/{item.size}"))
        if self.ex.method == "HEAD":  # no reader: on a cloud, one may copy the bytes first
            await self.ex.answer_head(status, headers, length)
            return
        reader = await run_in_threadpool(self.h.objects.reader, self.ctx, item)
        try:
            await self.ex.stream(status, headers, reader.read, start, length)
        finally:
            await run_in_threadpool(reader.close)

    async def _read_cdmi(self, item: StoredObject) -> None:
        fields = self.ex.fields
        wanted = [f for f in fields if f.split(":")[0] == "value"]
        value, value_range = None, None
        if not fields or wanted:
            if item.busy:
                raise Conflict(f"{self.container}/{self.name}: {item.busy}")
            span = (
                ranges.field_range(wanted[0].partition(":")[2], item.size)
                if wanted and ":" in wanted[0]
                else None
            )
            start, length = (span.start, span.length) if span else (0, item.size)
            limit = self.h.settings.max_json_bytes // 2
            if length > limit:
                raise BadRequest(
                    f"{self.container}/{self.name}: a value of {length} bytes is more than a "
                    f"CDMI JSON read returns ({limit}); ask for ?value:0-{limit - 1} or read "
                    "without a CDMI Accept"
                )
            value = await run_in_threadpool(self._value, item, start, length)
            value_range = (start, start + len(value) - 1) if span else None
        body = bodies.data_object(
            self.h.place(self.project, self.container, self.name),
            item.mimetype,
            self.metadata(item, self.base_url()),
            value=value,
            value_range=value_range,
        )
        await self.ex.json(200, bodies.OBJECT, bodies.select(body, fields) if fields else body)

    def _value(self, item: StoredObject, start: int, length: int) -> bytes:
        reader = self.h.objects.reader(self.ctx, item)
        try:
            return reader.read(start, length)
        finally:
            reader.close()

    async def _read_partial(self) -> None:
        partial = await self.partial()
        if partial is None:
            raise NotFound(f"no data object {self.container}/{self.name}")
        if not self.cdmi_read:
            raise Conflict(
                f"{self.container}/{self.name}: an upload is in progress "
                "(completionStatus Processing)"
            )
        body = self.processing(partial)
        fields = [f for f in self.ex.fields if f.split(":")[0] != "value"]  # none to give yet
        await self.ex.json(200, bodies.OBJECT, bodies.select(body, fields) if fields else body)

    def processing(self, partial: Partial) -> dict[str, Any]:
        place = self.h.place(self.project, self.container, self.name)
        metadata = {"cdmi_size": str(partial.size)}
        return bodies.data_object(place, partial.mimetype, metadata, complete=False)

    # -- delete -------------------------------------------------------------------------------
    async def _delete(self) -> None:
        partial = await self.partial()
        if partial is not None:
            await run_in_threadpool(self.h.uploads.discard, partial)
        else:
            await run_in_threadpool(self.h.objects.delete, self.ctx, self.container, self.name)
        await self.ex.answer(204)


def cleanup(path: str | None) -> None:
    if path:
        remove_quietly(path)


__all__ = ["PREFIX", "Handlers"]
