"""Job records and the runner (no server): a failure's message becomes the job's error, the
queue is bounded, and a restart fails the jobs a dead process left, removing their files."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from occi_server.ovf import jobs
from occi_server.ovf.errors import PackageError


def _finished(store: jobs.JobStore, job: jobs.Job, timeout: float = 10.0) -> jobs.Job:
    done = threading.Event()
    for _ in range(int(timeout * 20)):
        found = store.get(job.project, job.id)
        assert found is not None
        if found.state in (jobs.DONE, jobs.FAILED):
            return found
        done.wait(0.05)
    raise AssertionError(f"job {job.id} did not end")


def test_expected_errors_are_the_jobs_message_others_are_internal(tmp_path: Path) -> None:
    store = jobs.JobStore(tmp_path)
    runner = jobs.Runner(store, 4, expected=(PackageError,))

    def refuse(job: jobs.Job) -> None:
        (store.folder(job.project, job.id) / "work").mkdir()
        raise PackageError("disk d1: names a backing file")

    def crash(job: jobs.Job) -> None:
        raise KeyError("surprise")

    for work, message in (
        (refuse, "disk d1: names a backing file"),
        (crash, "internal error: 'surprise'"),
    ):
        runner.reserve()
        job = store.new("p", "import")
        runner.submit(job, work)
        ended = _finished(store, job)
        assert (ended.state, ended.error) == (jobs.FAILED, message)
        assert not (store.folder("p", job.id) / "work").exists()
    runner.close()


def test_the_queue_is_bounded_and_a_place_comes_back_when_a_job_ends(tmp_path: Path) -> None:
    store = jobs.JobStore(tmp_path)
    runner = jobs.Runner(store, 1)
    release = threading.Event()
    runner.reserve()
    with pytest.raises(jobs.JobsFull):
        runner.reserve()
    job = store.new("p", "export")
    runner.submit(job, lambda j: release.wait(10) and None)
    release.set()
    assert _finished(store, job).state == jobs.DONE
    runner.reserve()  # the place is free again
    runner.close()


def test_jobs_of_a_dead_process_fail_at_start_with_their_files_removed(tmp_path: Path) -> None:
    store = jobs.JobStore(tmp_path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    job = store.new("p", "import")
    job.state, job.pid = jobs.RUNNING, dead.pid
    store.save(job)
    folder = store.folder("p", job.id)
    (folder / "upload.ova").write_bytes(b"partial")
    (folder / "work").mkdir()
    (folder / "work" / "disk1.raw").write_bytes(b"partial")
    assert store.recover() == 1
    found = store.get("p", job.id)
    assert found is not None and found.state == jobs.FAILED
    assert found.error == "the server stopped while the job ran; start it again"
    assert sorted(p.name for p in folder.iterdir()) == ["job.json"]


def test_a_project_reads_only_its_own_jobs(tmp_path: Path) -> None:
    store = jobs.JobStore(tmp_path)
    job = store.new("alpha", "import")
    assert store.get("alpha", job.id) is not None
    assert store.get("beta", job.id) is None
    assert store.get("alpha", "../" + job.id) is None
