"""The reconciler: applies the intents requests recorded, after they were answered.

One thread per server process. It claims the oldest intent it may (intents.claim: a
conditional UPDATE, so with several workers on one database each intent goes to one of them),
runs the hypervisor operation outside any transaction, bounded by the driver timeout, and
records the outcome on the compute in a second transaction: the step's target state, or
`error` with the driver's message. A request that records intents wakes the reconciler of its
process after it commits; the others look every `poll` seconds.

When a server is killed mid-operation its intent stays `running`. On start, intents whose
owner is a process of this host that no longer runs (or an earlier incarnation of this one)
are put back to `pending` and run again (driver operations are idempotent), or failed cleanly
after `max_attempts`; intents of other hosts are taken over when their lease runs out.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from occi_server import telemetry
from occi_server.backends.local import intents, store
from occi_server.backends.local.control import apply_outcome, call
from occi_server.backends.local.intents import Intent
from occi_server.backends.local.owners import process_gone, this_process
from occi_server.backends.local.scope import Scope
from occi_server.backends.local.states import LIFECYCLE
from occi_server.drivers.hypervisor import GuestKey, Hypervisor, PowerState

log = logging.getLogger("occi_server.reconciler")

Transaction = Callable[[str], AbstractContextManager[Scope]]
# The Nova status a guest's own power change is drawn as.
_POWER_STATUS = {
    PowerState.RUNNING: "ACTIVE",
    PowerState.SHUTOFF: "SHUTOFF",
    PowerState.SUSPENDED: "SUSPENDED",
    PowerState.PAUSED: "PAUSED",
}


@dataclass(frozen=True, slots=True)
class Settings:
    timeout: float = 300.0  # seconds an operation may take before the compute goes to error
    poll: float = 1.0  # seconds between looks for intents recorded by other processes
    max_attempts: int = 3  # runs of an interrupted intent before it is failed
    grace: float = 30.0  # added to the timeout for the lease


class Reconciler:
    def __init__(
        self, transaction: Transaction, driver: Hypervisor, settings: Settings | None = None
    ) -> None:
        self._transaction = transaction
        self._driver = driver
        self.settings = settings or Settings()
        self.owner = this_process(uuid.uuid4().hex[:12])
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._reports: list[tuple[GuestKey, PowerState]] = []
        self._reports_lock = threading.Lock()

    # -- running ------------------------------------------------------------------------------
    def start(self) -> None:
        """Recover what a killed process left, then apply intents in the background."""
        if self._thread is not None:
            return
        self.recover()
        self._driver.watch(self._report)
        self._thread = threading.Thread(target=self._loop, name="occi-reconciler", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stopping.is_set():
            failed = False
            try:
                worked = self._apply_reports() + self.run_pending()
            except Exception:  # a database outage: log, wait, try again
                log.exception("reconciler: could not apply intents")
                worked, failed = 0, True
            if not worked:
                # An instant driver's requests record no intents (only what a previous run
                # left, taken on the first pass): wait to be told (a power report) rather
                # than ask the database every `poll` seconds.
                idle = self._driver.instant and not failed
                self._wake.wait(None if idle else self.settings.poll)
                self._wake.clear()

    def run_pending(self) -> int:
        """Apply every intent that can be claimed now; how many were."""
        count = 0
        while not self._stopping.is_set() and self.run_once():
            count += 1
        if telemetry.observing():  # the queue's depth, counted only when metrics are on
            with self._transaction("") as scope:
                telemetry.reconciler_depth(intents.waiting(scope.tx))
        return count

    def run_once(self) -> bool:
        """Claim one intent, apply it, record its outcome; False when there was none."""
        now = _now_ms()
        lease = now + int((self.settings.timeout + self.settings.grace) * 1000)
        with self._transaction("") as scope:
            intent = intents.claim(scope.tx, self.owner, now, lease)
        if intent is None:
            return False
        error = self._run(intent)
        self._finish(intent, self.owner, error)
        return True

    def _run(self, intent: Intent) -> str | None:
        """The operation in a thread of its own: a hung driver is abandoned at the timeout."""
        outcome: list[str | None] = []
        key = GuestKey(intent.project_id, intent.location)

        def work() -> None:
            try:
                outcome.append(call(self._driver, intent.operation, key, intent.arguments))
            except Exception as error:  # a driver bug is the compute's error, not ours
                outcome.append(f"{type(error).__name__}: {error}")

        thread = threading.Thread(target=work, name=f"occi-intent-{intent.pk}", daemon=True)
        thread.start()
        thread.join(self.settings.timeout)
        if not outcome:
            return f"the hypervisor did not finish within {self.settings.timeout:g} s"
        return outcome[0]

    def _finish(self, intent: Intent, owner: str | None, error: str | None) -> None:
        with self._transaction(intent.project_id) as scope:
            if not intents.finish(scope.tx, intent, owner or "", error is None, error):
                telemetry.intent_outcome("taken_over")
                return  # another process took it over (our lease ran out): its outcome wins
            telemetry.intent_outcome("done" if error is None else "failed")
            row = store.find(scope, intent.location, for_update=True)
            if row is None:
                return  # deleted meanwhile
            attributes = dict(row.attributes)
            outcome = intent.success if error is None else intent.failure
            if apply_outcome(attributes, outcome, error):
                store.write_attributes(scope, row, attributes)
                store.bump(scope, row)

    # -- after a crash ------------------------------------------------------------------------
    def recover(self) -> int:
        """Resume (or fail, after max_attempts) intents whose owner died; how many."""
        with self._transaction("") as scope:
            orphans = [i for i in intents.running(scope.tx) if _dead(i.owner, self.owner)]
            resumed = [i for i in orphans if i.attempts < self.settings.max_attempts]
            for intent in resumed:
                intents.release(scope.tx, intent)
                telemetry.intent_outcome("resumed")
        for intent in orphans:
            if intent not in resumed:
                message = f"interrupted {intent.attempts} times by a server stop"
                self._finish(intent, intent.owner, message)
        if orphans:
            log.info("reconciler: %d interrupted intents resumed, %d failed",
                     len(resumed), len(orphans) - len(resumed))  # fmt: skip
        return len(orphans)

    # -- the hypervisor's own news ------------------------------------------------------------
    def _report(self, key: GuestKey, power: PowerState) -> None:
        with self._reports_lock:
            self._reports.append((key, power))
        self._wake.set()

    def _apply_reports(self) -> int:
        with self._reports_lock:
            reports, self._reports = self._reports, []
        for key, power in reports:
            status = _POWER_STATUS.get(power)
            with self._transaction(key.project) as scope:
                row = store.find(scope, key.location, for_update=True)
                if status is None or row is None or LIFECYCLE.busy(row.attributes):
                    continue  # gone, or an operation under way will record its own outcome
                attributes = dict(row.attributes)
                LIFECYCLE.settle(attributes, status, f"{power.value} (reported by the hypervisor)")
                store.write_attributes(scope, row, attributes)
                store.bump(scope, row)
        return len(reports)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _dead(owner: str | None, me: str) -> bool:
    """Whether the process that claimed an intent is gone."""
    if not owner:
        return True
    return owner != me and process_gone(owner)
    return False
