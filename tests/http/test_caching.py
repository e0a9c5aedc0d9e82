"""The query interface is cached per project and catalogue version, never served stale."""

from __future__ import annotations

from tests.support.occi_client import OcciClient, parse


def test_query_interface_has_etag_and_answers_304(plain: OcciClient) -> None:
    first = plain.get("/-/")
    etag = first.headers["etag"]
    again = plain.get("/-/", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert plain.get("/-/", headers={"If-None-Match": '"other"'}).status_code == 200


def test_a_new_user_mixin_shows_at_once_and_changes_the_etag(plain: OcciClient) -> None:
    before = plain.get("/-/")
    mixin = 'fresh; scheme="http://example.com/cache#"; class="mixin"; location="/fresh/"'
    assert plain.post("/-/", categories=[mixin]).status_code == 200
    after = plain.get("/-/", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert any(c.startswith("fresh;") for c in parse(after).categories)
    assert plain.get("/fresh/").status_code == 200
    assert plain.delete("/-/", categories=[mixin]).status_code == 200
    assert not any(c.startswith("fresh;") for c in parse(plain.get("/-/")).categories)
    # No longer a mixin collection: only an unbound path (GET lists nothing, POST is refused).
    assert plain.post("/fresh/", locations=["/compute/x"]).status_code == 405


def test_each_project_sees_its_own_cached_query_interface(
    plain: OcciClient, other: OcciClient
) -> None:
    mixin = 'mine; scheme="http://example.com/cache#"; class="mixin"; location="/mine/"'
    assert plain.post("/-/", categories=[mixin]).status_code == 200
    assert any(c.startswith("mine;") for c in parse(plain.get("/-/")).categories)
    assert not any(c.startswith("mine;") for c in parse(other.get("/-/")).categories)
