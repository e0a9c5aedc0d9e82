"""The service against the in-memory backend: no HTTP, no database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from occi_server.backends.base import ProjectCloud
from occi_server.context import RequestContext
from occi_server.registry import Catalogue, Registry
from occi_server.service.entities import Operation
from tests.support.memory_backend import MemoryBackend

BASE = "http://127.0.0.1:8787"
ALICE = RequestContext(project_id="p-a", project_name="a", user_id="u-a", user_name="alice")


@pytest.fixture
def backend() -> MemoryBackend:
    return MemoryBackend()


@pytest.fixture
def catalogue(backend: MemoryBackend) -> Catalogue:
    return Catalogue.for_backend(
        backend.served_kinds(), backend.implemented_actions(), backend.supported_mixins()
    )


def operation(backend: MemoryBackend, catalogue: Catalogue, session: ProjectCloud) -> Operation:
    registry = Registry(catalogue, [*session.provider_mixins(), *session.user_mixins()])
    return Operation(session, registry, BASE, max_attributes=16)


@pytest.fixture
def op(backend: MemoryBackend, catalogue: Catalogue) -> Iterator[Operation]:
    """One request's operation; tests that need a fresh registry call `operation` again."""
    with backend.open(ALICE) as session:
        yield operation(backend, catalogue, session)
