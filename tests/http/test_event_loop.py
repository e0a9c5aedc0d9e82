"""Which requests of the embedded cloud run on the event loop and which in a worker thread
(http/app.py): a thread hop costs 100-300 µs of CPU, so a cheap request stays on the loop;
work that could hold the loop for long (a delete taking many links along) leaves it, and is
still done completely."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from occi_server.backends.local.project_cloud import INLINE_DELETE_LINKS
from occi_server.http import app as app_module
from tests.support.occi_client import COMPUTE_KIND, INFRA, STORAGE_KIND, OcciClient, parse

STORAGELINK_KIND = f'storagelink; scheme="{INFRA}"; class="kind"'


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the functions the app sent to a worker thread."""
    sent: list[str] = []
    original = app_module.run_in_threadpool

    async def counted(function: Callable[..., Any], *args: Any) -> Any:
        sent.append(function.__name__)
        return await original(function, *args)

    monkeypatch.setattr(app_module, "run_in_threadpool", counted)
    return sent


def _compute_with_links(plain: OcciClient, count: int) -> tuple[str, list[str]]:
    compute = plain.create("/compute/", categories=[COMPUTE_KIND])
    links = []
    for _ in range(count):
        storage = plain.create(
            "/storage/", categories=[STORAGE_KIND], attributes=["occi.storage.size=1.0"]
        )
        links.append(
            plain.create(
                "/storage/link/",
                categories=[STORAGELINK_KIND],
                attributes=[f'occi.core.source="{compute}"', f'occi.core.target="{storage}"'],
            )
        )
    return compute, links


def test_a_delete_with_few_links_stays_on_the_event_loop(
    plain: OcciClient, hops: list[str]
) -> None:
    compute, links = _compute_with_links(plain, 2)
    hops.clear()
    assert plain.delete(compute).status_code == 200
    assert hops == []
    assert all(plain.get(link).status_code == 404 for link in links)


def test_a_delete_taking_many_links_along_runs_in_a_thread_and_completes(
    plain: OcciClient, hops: list[str]
) -> None:
    compute, links = _compute_with_links(plain, INLINE_DELETE_LINKS + 1)
    hops.clear()
    assert plain.delete(compute).status_code == 200
    assert hops == ["handle"]  # tried on the loop, found too large, run once in a thread
    assert plain.get(compute).status_code == 404
    assert all(plain.get(link).status_code == 404 for link in links)
    listed = parse(plain.get("/storage/link/")).locations
    assert not any(link in location for link in links for location in listed)


def test_a_collection_delete_goes_to_a_thread_before_it_starts(
    plain: OcciClient, hops: list[str]
) -> None:
    plain.create("/storage/", categories=[STORAGE_KIND], attributes=["occi.storage.size=1.0"])
    hops.clear()
    assert plain.delete("/storage/").status_code == 200
    assert hops == ["handle"]
