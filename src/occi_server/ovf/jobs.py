"""Import and export jobs: a record per job (a JSON file in the job's own directory, so every
worker process can answer for it) and a small runner that does the work off the request.

    <data_dir>/ovf/<project>/<job id>/job.json     the record (state, progress, results)
                                     /upload.ova   an import's package, as uploaded
                                     /descriptor.ovf  or its descriptor alone (disks by URL)
                                     /work/        unpacked and converted files (removed after)
                                     /package.ova  an export's result

Every file a job writes lies in its directory; a tenant reaches only its project's folder.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote

log = logging.getLogger("occi_server.ovf")

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
_ID = re.compile(r"[0-9a-f]{32}")


class JobsFull(Exception):
    """As many jobs as allowed are queued or running."""


@dataclass(slots=True)
class Job:
    id: str
    project: str
    kind: str  # "import" or "export"
    state: str = QUEUED
    progress: int = 0  # percent
    step: str = "queued"
    created: list[str] = field(default_factory=list)  # locations an import made
    error: str | None = None
    source: str | None = None  # the compute an export reads
    package: str | None = None  # an export's file name, once written
    started: float = field(default_factory=time.time)
    finished: float | None = None
    pid: int = field(default_factory=os.getpid)

    @property
    def finished_ok(self) -> bool:
        return self.state == DONE


class JobStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def folder(self, project: str, job_id: str) -> Path:
        return self.root / (quote(project, safe="") or "_") / job_id

    def new(self, project: str, kind: str, source: str | None = None) -> Job:
        job = Job(uuid.uuid4().hex, project, kind, source=source)
        self.folder(project, job.id).mkdir(parents=True)
        self.save(job)
        return job

    def get(self, project: str, job_id: str) -> Job | None:
        if not _ID.fullmatch(job_id):
            return None
        try:
            data = json.loads((self.folder(project, job_id) / "job.json").read_text())
        except (OSError, ValueError):
            return None
        job = Job(**data)
        return job if job.project == project else None

    def save(self, job: Job) -> None:
        folder = self.folder(job.project, job.id)
        partial = folder / "job.json.partial"
        partial.write_text(json.dumps(asdict(job)))
        partial.replace(folder / "job.json")  # readers see the old record or the new one

    def discard(self, job: Job) -> None:
        """A job that never started (its upload failed): gone without a trace."""
        shutil.rmtree(self.folder(job.project, job.id), ignore_errors=True)

    def recover(self) -> int:
        """Jobs of processes that are gone fail, their partial files removed; the count."""
        count = 0
        for record in self.root.glob("*/*/job.json"):
            with contextlib.suppress(OSError, ValueError, TypeError):
                job = Job(**json.loads(record.read_text()))
                if job.state in (QUEUED, RUNNING) and not _alive(job.pid):
                    fail(self, job, "the server stopped while the job ran; start it again")
                    count += 1
        return count


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process has just started: the job is not its own
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fail(store: JobStore, job: Job, message: str) -> None:
    folder = store.folder(job.project, job.id)
    shutil.rmtree(folder / "work", ignore_errors=True)
    for name in ("upload.ova", "descriptor.ovf", "package.ova", "package.ova.partial"):
        with contextlib.suppress(FileNotFoundError):
            (folder / name).unlink()
    job.state, job.error, job.step, job.finished = FAILED, message, "failed", time.time()
    job.created = []
    store.save(job)


class Runner:
    """One worker thread runs the jobs in order; at most `most` wait or run at once."""

    def __init__(
        self, store: JobStore, most: int, expected: tuple[type[Exception], ...] = ()
    ) -> None:
        self.store = store
        self._expected = expected  # errors whose message is the whole story (no trace logged)
        self._slots = threading.BoundedSemaphore(most)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ovf-job")

    def reserve(self) -> None:
        """A place in the queue, taken before an upload is read; JobsFull when none."""
        if not self._slots.acquire(blocking=False):
            raise JobsFull()

    def release(self) -> None:
        self._slots.release()

    def submit(self, job: Job, work: Callable[[Job], None]) -> None:
        """Run `work` for a reserved place; its exception fails the job with its message."""
        self._pool.submit(self._run, job, work)

    def _run(self, job: Job, work: Callable[[Job], None]) -> None:
        # The place is given back before the job shows as finished: a client that reads the
        # end of one job may queue the next at once.
        released = False
        try:
            job.state, job.step = RUNNING, "starting"
            self.store.save(job)
            work(job)
            self.release()
            released = True
            job.state, job.progress, job.step, job.finished = DONE, 100, "done", time.time()
            self.store.save(job)
            shutil.rmtree(self.store.folder(job.project, job.id) / "work", ignore_errors=True)
        except Exception as error:  # the job's rendering shows it; the log keeps the trace
            message = str(error) or type(error).__name__
            if not isinstance(error, self._expected):
                log.exception("OVF %s job %s failed", job.kind, job.id)
                message = f"internal error: {message}"
            if not released:
                self.release()
                released = True
            fail(self.store, job, message)
        finally:
            if not released:  # fail() itself raised
                self.release()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
