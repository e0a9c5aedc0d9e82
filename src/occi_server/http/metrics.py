"""Prometheus metrics (prometheus-client), shared by every worker process when there are several.

With `--workers N` the CLI points PROMETHEUS_MULTIPROC_DIR at a fresh directory before any
worker starts, each worker writes its values to files there, and whichever worker answers
`/metrics` adds them all up (prometheus-client's multi-process mode). Gauges of processes that
have died are dropped at the next scrape.

The hot path costs a dictionary look-up and two value updates per request: the labelled
children are kept once made.
"""

from __future__ import annotations

import glob
import hmac
import ipaddress
import os
import re
from collections.abc import Sequence
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
    multiprocess,
)

from occi_server.config import MetricsConfig

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0
)  # fmt: skip
_LIVE_FILE = re.compile(r"gauge_live\w+?_(\d+)\.db$")


class Metrics:
    """The process's metrics, and the /metrics answer. Also the telemetry observer."""

    def __init__(self, settings: MetricsConfig) -> None:
        self.settings = settings
        self.multiprocess_dir = os.environ.get(MULTIPROC_ENV) or None
        self.registry = CollectorRegistry(auto_describe=True)
        if self.multiprocess_dir is None:
            ProcessCollector(registry=self.registry)
        r = self.registry
        self.requests = Counter(
            "occi_http_requests",
            "HTTP requests answered, by route template, method and status",
            ["route", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "occi_http_request_duration_seconds",
            "Time from a request's arrival to the end of its answer",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.in_flight = Gauge(
            "occi_http_requests_in_flight",
            "Requests being served now",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.connections_open = Gauge(
            "occi_http_open_connections",
            "Open client connections",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.backend_latency = Histogram(
            "occi_backend_call_duration_seconds",
            "Calls to the cloud's services, drivers and the database, by service",
            ["service"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.backend_errors = Counter(
            "occi_backend_call_errors",
            "Calls to the cloud's services, drivers and the database that failed, by service",
            ["service"],
            registry=r,
        )
        self.reconciler_queue = Gauge(
            "occi_reconciler_queue_depth",
            "Intents waiting for the reconciler",
            registry=r,
            multiprocess_mode="livemax",
        )
        self.intents = Counter(
            "occi_reconciler_intents",
            "Intents the reconciler finished, by outcome",
            ["outcome"],
            registry=r,
        )
        self._request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._backend_children: dict[str, tuple[Any, Any]] = {}
        self._token = settings.token.encode()
        self._networks = list(settings.allow_from)

    # -- the request path ---------------------------------------------------------------------
    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        children = self._request_children.get(key)
        if children is None:
            children = (
                self.requests.labels(route, method, str(status)),
                self.latency.labels(route, method),
            )
            if len(self._request_children) < 10_000:  # bounded: routes are templates
                self._request_children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    # -- telemetry.Observer ---------------------------------------------------------------------
    def backend_call(self, service: str, seconds: float, failed: bool) -> None:
        children = self._backend_children.get(service)
        if children is None:
            children = (self.backend_latency.labels(service), self.backend_errors.labels(service))
            self._backend_children[service] = children
        children[0].observe(seconds)
        if failed:
            children[1].inc()

    def reconciler_depth(self, depth: int) -> None:
        self.reconciler_queue.set(depth)

    def intent_outcome(self, outcome: str) -> None:
        self.intents.labels(outcome).inc()

    def connections(self, change: int) -> None:
        self.connections_open.inc(change)

    # -- /metrics -------------------------------------------------------------------------------
    def allowed(self, headers: Sequence[tuple[bytes, bytes]], client: str | None) -> bool:
        """The caller sent the metrics token (Authorization: Bearer) or is on an allowed
        network (the peer's address, or the client's as told by a trusted proxy)."""
        if self._token:
            for name, value in headers:
                if (
                    name == b"authorization"
                    and value[:7].lower() == b"bearer "
                    and hmac.compare_digest(value[7:].strip(), self._token)
                ):
                    return True
        if self._networks and client:
            try:
                address = ipaddress.ip_address(client)
            except ValueError:
                return False
            return any(address in network for network in self._networks)
        return False

    def exposition(self) -> tuple[bytes, str]:
        if self.multiprocess_dir is None:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        _forget_dead_workers(self.multiprocess_dir)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST

    def close(self) -> None:
        """This worker stops: its gauges leave the sums (its counters stay)."""
        if self.multiprocess_dir is not None:
            multiprocess.mark_process_dead(os.getpid(), self.multiprocess_dir)  # type: ignore[no-untyped-call]


def _forget_dead_workers(path: str) -> None:
    """A worker that crashed never marked itself dead: its gauges would count for ever."""
    for name in glob.glob(os.path.join(path, "gauge_live*.db")):
        found = _LIVE_FILE.search(name)
        if found is None:
            continue
        pid = int(found.group(1))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, path)  # type: ignore[no-untyped-call]
        except PermissionError:
            pass


def prepare_multiprocess_dir(path: str) -> None:
    """Before workers start: an empty directory for their metric files (old ones removed)."""
    os.makedirs(path, exist_ok=True)
    for name in glob.glob(os.path.join(path, "*.db")):
        os.remove(name)
    os.environ[MULTIPROC_ENV] = path
