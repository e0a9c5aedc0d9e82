"""Byte ranges (RFC 7233) as CDMI reads and writes use them."""

from __future__ import annotations

import pytest

from occi_server.cdmi.ranges import RangeError, Span, Write, content_range, requested


def test_a_range_a_suffix_and_an_open_end_within_the_object() -> None:
    assert requested("bytes=21-24", 37) == Span(21, 24)
    assert requested("bytes=-5", 37) == Span(32, 36)
    assert requested("bytes=30-", 37) == Span(30, 36)
    assert requested("bytes=30-100", 37) == Span(30, 36)  # clipped to the end


def test_a_range_past_the_end_is_unsatisfiable_and_nonsense_is_a_bad_request() -> None:
    with pytest.raises(RangeError) as past:
        requested("bytes=40-50", 37)
    assert past.value.unsatisfiable
    for bad in ("bytes=5-1", "lines=1-2", "bytes=1-2,4-5", "bytes=-"):
        with pytest.raises(RangeError) as refused:
            requested(bad, 37)
        assert not refused.value.unsatisfiable


def test_content_range_of_a_partial_write() -> None:
    assert content_range("bytes 21-24/37") == Write(21, 24, 37)
    assert content_range("bytes 0-5/*") == Write(0, 5, None)
    for bad in ("bytes 5-1/10", "bytes 0-10/10", "0-5/10"):
        with pytest.raises(RangeError):
            content_range(bad)
