"""HTTP behaviour that belongs to the server process (uvicorn in front of the app): HEAD answers
without a body, and the size limits as the real socket meets them. The rest of the protocol is
in tests/http, driven in process."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.support.occi_client import COMPUTE_KIND, OcciClient
from tests.support.server import ServerProcess


@pytest.fixture
def plain(server: ServerProcess, token_factory: Callable[[str], str]) -> OcciClient:
    return OcciClient(server.url, token_factory("e2e-http"), fmt="text/plain")


def test_head_answers_like_get_without_a_body(plain: OcciClient) -> None:
    get = plain.get("/-/")
    head = plain.request("HEAD", "/-/")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(get.content))
    assert head.headers.get_list("server") == [get.headers["server"]]


def test_limits_answer_413_and_431_from_the_process(plain: OcciClient) -> None:
    huge_header = plain.get("/-/", headers={"X-Padding": "x" * 70_000})
    assert huge_header.status_code == 431
    assert "OCCI/1.2" in huge_header.headers["server"]
    big_body = httpx.post(
        plain.base + "/compute/",
        content=b"X-OCCI-Attribute: a=1\n" * 60_000,
        headers={"Content-Type": "text/plain", "X-Auth-Token": plain.token or ""},
    )
    assert big_body.status_code == 413
    many = [f"occi.core.title{i}=1" for i in range(300)]
    assert plain.post("/compute/", categories=[COMPUTE_KIND], attributes=many).status_code == 413
