"""Glance downloads as CDMI reads them: one open answer read in order, a ranged GET when a
read jumps, and a Glance that ignores Range refused rather than served the wrong bytes."""

from __future__ import annotations

import io
from typing import Any

import pytest
import requests

from occi_server.backends.openstack.glance import ImageReader
from occi_server.errors import BadGateway
from tests.openstack.unit.fake_cloud import ENDPOINTS, FakeCloud, fake_api

DATA = bytes(range(256)) * 20_000  # 5 MB: several 1 MiB chunks
FILE = f"{ENDPOINTS['image']}/v2/images/img-1/file"


class ByteCloud(FakeCloud):
    """Answers the image file with its bytes, honouring Range unless told not to."""

    def __init__(self, *, ranges: bool = True) -> None:
        super().__init__()
        self.ranges = ranges
        self.asked: list[str | None] = []

    def send(self, request: requests.PreparedRequest, **_: Any) -> requests.Response:  # type: ignore[override]
        if str(request.url) != FILE:
            return super().send(request)
        asked = request.headers.get("Range")
        self.asked.append(asked)
        response = requests.Response()
        response.request, response.url = request, FILE
        start = int(asked.removeprefix("bytes=").rstrip("-")) if asked and self.ranges else 0
        response.status_code = 206 if asked and self.ranges else 200
        response.raw = io.BytesIO(DATA[start:])  # streamed, as the backend asks for it
        return response


def test_reads_in_order_share_one_download_and_a_jump_asks_for_a_range() -> None:
    cloud = ByteCloud()
    reader = ImageReader(fake_api(cloud), "img-1", len(DATA))
    got = b"".join(reader.read(o, 1 << 20) for o in range(0, 3 << 20, 1 << 20))
    assert got == DATA[: 3 << 20]
    assert cloud.asked == [None]
    assert reader.read(4_000_000, 10) == DATA[4_000_000:4_000_010]
    assert reader.read(4_000_010, 5) == DATA[4_000_010:4_000_015]  # goes on from there
    assert reader.read(len(DATA) - 3, 100) == DATA[-3:]  # clipped at the end
    assert cloud.asked == [None, "bytes=4000000-", f"bytes={len(DATA) - 3}-"]
    reader.close()


def test_a_glance_that_ignores_range_is_refused() -> None:
    reader = ImageReader(fake_api(ByteCloud(ranges=False)), "img-1", len(DATA))
    with pytest.raises(BadGateway, match="byte range"):
        reader.read(1000, 10)
