"""Writes of a data object: a new one (whole, or resumable with X-CDMI-Partial), a byte range
of an existing volume (Content-Range, or `?value:<a>-<b>` with a CDMI body), or a volume's
whole value. Bytes are received into a file first; only a complete upload reaches the store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool

from occi_server.backends.base import StoredObject
from occi_server.cdmi import bodies, ranges
from occi_server.cdmi.uploads import Partial
from occi_server.errors import Conflict, NotFound, PayloadTooLarge
from occi_server.http.cdmi import remove_quietly

if TYPE_CHECKING:
    from occi_server.http.cdmi_objects import _ObjectRequest


async def write(req: _ObjectRequest) -> None:
    flag = (req.ex.header("x-cdmi-partial") or "").strip().lower() == "true"
    start = _start(req)
    item = await req.stored()
    if item is not None:
        await _update(req, item, start)
        return
    partial = await req.partial()
    if req.ex.method == "PATCH" and partial is None:
        raise NotFound(f"no data object {req.container}/{req.name} to update (PUT creates one)")
    if partial is None and not flag:
        await _create(req, start)
    else:
        await _resume(req, partial, start, flag)


def _start(req: _ObjectRequest) -> int | None:
    """Where the body goes: Content-Range's first byte, a CDMI `?value:<a>-<b>`, or None for
    the whole value."""
    if req.cdmi_write:
        for field in req.ex.fields:
            if field.startswith("value:"):
                return ranges.field_range(field.partition(":")[2], 1 << 62).start
        return None
    header = req.ex.header("content-range")
    return None if header is None else ranges.content_range(header).start


async def _receive(req: _ObjectRequest, path: Path, offset: int, truncate: bool) -> int:
    """The request's value into `path` at `offset`; the bytes written."""
    limit = req.h.settings.max_upload_bytes
    if not req.cdmi_write:
        return await req.ex.receive_into(path, offset, limit, truncate)
    value = bodies.parse_object(await req.ex.body(req.h.settings.max_json_bytes))
    req.content_type = value.mimetype
    if offset + len(value.value) > limit:
        raise PayloadTooLarge(f"an object is limited to {limit} bytes ([cdmi] max_upload_bytes)")
    await run_in_threadpool(_write_at, path, offset, value.value, truncate)
    return len(value.value)


def _write_at(path: Path, offset: int, data: bytes, truncate: bool) -> None:
    with open(path, "r+b" if path.exists() and not truncate else "wb") as handle:
        handle.seek(offset)
        handle.write(data)


async def _create(req: _ObjectRequest, start: int | None) -> None:
    path = req.h.uploads.incoming()
    try:
        await _receive(req, path, start or 0, truncate=True)
        item = await run_in_threadpool(
            req.h.objects.create, req.ctx, req.container, req.name, str(path), req.content_type
        )
    finally:
        remove_quietly(path)
    await _created(req, item)


async def _created(req: _ObjectRequest, item: StoredObject) -> None:
    if not req.cdmi_write and not req.cdmi_read:
        await req.ex.answer(201)
        return
    place = req.h.place(req.project, req.container, req.name)
    metadata = req.metadata(item, req.base_url())
    await req.ex.json(201, bodies.OBJECT, bodies.data_object(place, item.mimetype, metadata))


async def _update(req: _ObjectRequest, item: StoredObject, start: int | None) -> None:
    if item.container != "volumes":
        raise Conflict(
            f"{req.container}/{req.name}: only volumes change; delete it and upload anew"
        )
    features = req.h.objects.features
    if not (features.rewrites if start is None else features.ranged_writes):
        what = "its whole value" if start is None else "a byte range into it"
        raise Conflict(
            f"volumes/{req.name}: this cloud cannot write {what}; delete the volume and PUT it "
            "anew (cdmi_capabilities/dataobject/ lists what works)"
        )
    if item.busy:
        raise Conflict(f"volumes/{req.name}: {item.busy}")
    path = req.h.uploads.incoming()
    try:
        written = await _receive(req, path, 0, truncate=True)
        if start is None and written < item.size:
            raise Conflict(
                f"volumes/{req.name}: {written} bytes would shrink it from {item.size}; "
                "a volume only grows (write a range with Content-Range instead)"
            )
        await run_in_threadpool(
            req.h.objects.write_range, req.ctx, req.container, req.name, start or 0, str(path)
        )
    finally:
        remove_quietly(path)
    await req.ex.answer(204)


async def _resume(
    req: _ObjectRequest, partial: Partial | None, start: int | None, flag: bool
) -> None:
    uploads = req.h.uploads
    first = partial is None
    if partial is None:
        partial = await run_in_threadpool(
            uploads.begin, req.project, req.container, req.name, req.content_type
        )
    await _receive(req, partial.path, start or 0, truncate=start is None)
    if flag:  # more to come: the object stays Processing, invisible to OCCI
        if req.cdmi_write or req.cdmi_read:
            await req.ex.json(201 if first else 200, bodies.OBJECT, req.processing(partial))
        else:
            await req.ex.answer(201 if first else 204)
        return
    path = await run_in_threadpool(uploads.take, partial)
    try:
        item = await run_in_threadpool(
            req.h.objects.create, req.ctx, req.container, req.name, str(path), partial.mimetype
        )
    finally:
        remove_quietly(path)
    await _created(req, item)
