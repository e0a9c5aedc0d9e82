"""The OVF endpoints (docs/ovf.md), plain ASGI because their bodies are packages of gigabytes:
an upload is streamed to the job's file as it arrives (bounded by ovf.max_package_bytes),
never held in memory, and an export is streamed from its file.

    POST   /ovf/imports/            an OVA (application/x-tar), or a descriptor alone whose
                                    disks are URLs (application/ovf+xml) -> 202, Location: its job
    GET    /ovf/jobs/<id>           the job: state, progress, created locations or the error
    DELETE /ovf/jobs/<id>           a finished job and its files
    GET    /ovf/exports/<id>.ova    an export's package, once its job is done

The caller is authenticated (headers only) before a byte of the body is read; a tenant sees
only its project's jobs.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from occi_server import telemetry
from occi_server.context import RequestContext
from occi_server.errors import (
    Conflict,
    MethodNotAllowed,
    NotFound,
    OcciError,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from occi_server.http.hosts import HostPolicy
from occi_server.identity.auth import Authenticator
from occi_server.ovf.jobs import DONE, FAILED, Job
from occi_server.ovf.package import MAX_DESCRIPTOR_BYTES
from occi_server.service.appliances import EXPORTS, IMPORTS, JOBS, Appliances

log = logging.getLogger("occi_server.http")
PREFIX = "/ovf/"
_CHUNK = 1 << 20
TAR = "application/x-tar"
OVF_XML = "application/ovf+xml"


class OvfEndpoints:
    def __init__(
        self, appliances: Appliances, authenticator: Authenticator, hosts: HostPolicy
    ) -> None:
        self.appliances = appliances
        self.authenticator = authenticator
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        method, path = scope["method"], scope["path"]
        try:
            base = self.hosts.base_url(
                scope.get("scheme", "http"),
                headers.get("host"),
                scope.get("server"),
                scope.get("root_path", ""),
            )
            client = (scope.get("client") or ("",))[0]
            ctx = await run_in_threadpool(self.authenticator.authenticate, headers, base, client)
            telemetry.identify(ctx.project_name, ctx.user_name)  # for the access log
            await self._route(ctx, base, method, path, headers, receive, send)
        except OcciError as error:
            body = {"code": error.status, "message": error.message}
            await _json(send, error.status, body, list(error.headers.items()))
        except Exception:  # never a traceback to the client
            log.exception("unexpected error on %s %s", method, path)
            await _json(send, 500, {"code": 500, "message": "internal error"})

    async def _route(
        self,
        ctx: RequestContext,
        base: str,
        method: str,
        path: str,
        headers: dict[str, str],
        receive: Receive,
        send: Send,
    ) -> None:
        if path == IMPORTS:
            if method != "POST":
                raise MethodNotAllowed(f"{method} is not allowed on {path}", ["POST"])
            await self._import(ctx, base, headers, receive, send)
        elif path.startswith(JOBS):
            await self._job(ctx, base, method, path.removeprefix(JOBS), send)
        elif path.startswith(EXPORTS) and path.endswith(".ova"):
            if method not in ("GET", "HEAD"):
                raise MethodNotAllowed(f"{method} is not allowed on {path}", ["GET", "HEAD"])
            await self._download(ctx, base, path[len(EXPORTS) : -4], method == "HEAD", send)
        else:
            raise NotFound(f"nothing at {path}")

    # -- import -------------------------------------------------------------------------------
    async def _import(
        self,
        ctx: RequestContext,
        base: str,
        headers: dict[str, str],
        receive: Receive,
        send: Send,
    ) -> None:
        media = headers.get("content-type", "").partition(";")[0].strip().lower()
        if media not in (TAR, OVF_XML):
            raise UnsupportedMediaType(
                f"Content-Type {media or 'none'}: send {TAR} (an OVA) or {OVF_XML} "
                "(a descriptor whose disk files are URLs)"
            )
        if media == TAR:
            most = self.appliances.config.max_package_bytes
            too_large = f"the package exceeds ovf.max_package_bytes ({most} bytes)"
        else:
            most = MAX_DESCRIPTOR_BYTES
            too_large = f"a descriptor is at most {most} bytes"
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > most:
            raise PayloadTooLarge(too_large)
        job = self.appliances.new_import(ctx)
        target = self.appliances.upload_path(job, descriptor=media == OVF_XML)
        try:
            complete = await _receive_to(receive, target, most, too_large)
        except BaseException:
            self.appliances.abandon(job)
            raise
        if not complete:
            self.appliances.abandon(job)
            return  # the client went away: nobody to answer
        self.appliances.start_import(ctx, job)
        location = base + JOBS + job.id
        await _json(send, 202, render(job, base), [("location", location)])

    # -- jobs and packages --------------------------------------------------------------------
    def _find(self, ctx: RequestContext, job_id: str) -> Job:
        job = self.appliances.jobs.get(ctx.project_id, job_id)
        if job is None:
            raise NotFound(f"no OVF job {job_id[:40]}")
        return job

    async def _job(
        self, ctx: RequestContext, base: str, method: str, job_id: str, send: Send
    ) -> None:
        job = self._find(ctx, job_id)
        if method in ("GET", "HEAD"):
            await _json(send, 200, render(job, base))
        elif method == "DELETE":
            if job.state not in (DONE, FAILED):
                raise Conflict(f"job {job.id} is {job.state}; delete it once it has ended")
            folder = self.appliances.jobs.folder(job.project, job.id)
            await run_in_threadpool(shutil.rmtree, folder, True)
            await _json(send, 200, {})
        else:
            raise MethodNotAllowed(f"{method} is not allowed here", ["GET", "HEAD", "DELETE"])

    async def _download(
        self, ctx: RequestContext, base: str, job_id: str, head: bool, send: Send
    ) -> None:
        job = self._find(ctx, job_id)
        if job.kind != "export":
            raise NotFound(f"job {job.id} is an import; it has no package")
        if job.state == FAILED:
            raise NotFound(f"the export failed, so its package will not appear: {job.error}")
        if job.state != DONE or job.package is None:
            raise NotFound(
                f"the package is not ready yet ({job.progress}% done); "
                f"its job: {base}{JOBS}{job.id}",
                headers={"Retry-After": "2"},
            )
        path = self.appliances.jobs.folder(job.project, job.id) / "package.ova"
        await _file(send, path, job.package, head)


def render(job: Job, base: str) -> dict[str, Any]:
    """A job as JSON: what a client polls."""
    shown: dict[str, Any] = {
        "id": job.id,
        "kind": job.kind,
        "location": base + JOBS + job.id,
        "state": job.state,
        "progress": job.progress,
        "step": job.step,
        "started": _when(job.started),
        "finished": _when(job.finished) if job.finished else None,
    }
    if job.kind == "import":
        shown["created"] = [base + location for location in job.created]
    else:
        shown["source"] = base + (job.source or "")
        shown["package"] = base + EXPORTS + job.id + ".ova"
        shown["ready"] = job.state == DONE
    if job.error:
        shown["error"] = job.error
    return shown


def _when(stamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))


async def _receive_to(receive: Receive, path: Path, most: int, too_large: str) -> bool:
    """The body into `path`; False when the client disconnected, 413 past `most` bytes."""
    size = 0
    pending: list[bytes] = []
    with open(path, "xb") as handle:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return False
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > most:
                raise PayloadTooLarge(too_large)
            pending.append(chunk)
            more = message.get("more_body", False)
            if sum(map(len, pending)) >= _CHUNK or not more:
                data = b"".join(pending)
                pending = []
                await run_in_threadpool(handle.write, data)  # the event loop keeps serving
            if not more:
                return True


async def _json(
    send: Send,
    status: int,
    body: dict[str, Any],
    headers: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> None:
    data = json.dumps(body, indent=1).encode() + b"\n"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                *((n.lower().encode("latin-1"), v.encode("utf-8")) for n, v in headers),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


async def _file(send: Send, path: Path, name: str, head: bool) -> None:
    size = path.stat().st_size
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", TAR.encode()),
                (b"content-length", str(size).encode()),
                (b"content-disposition", f'attachment; filename="{name}"'.encode()),
            ],
        }
    )
    if head:
        await send({"type": "http.response.body", "body": b""})
        return
    with open(path, "rb") as handle:
        while True:
            chunk = await run_in_threadpool(handle.read, _CHUNK)
            more = len(chunk) == _CHUNK
            await send({"type": "http.response.body", "body": chunk, "more_body": more})
            if not more:
                return
