"""The console's form parser: fields -> the neutral OcciRequest, plus the console's controls."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from occi_server.errors import BadRequest
from occi_server.rendering.html_form import is_form, is_local_path, parse_form

INFRA = "http://schemas.ogf.org/occi/infrastructure#"
SSH = "http://schemas.ogf.org/occi/infrastructure/credentials#ssh_key"


def form(*pairs: tuple[str, str]) -> bytes:
    return urlencode(list(pairs)).encode()


def test_categories_attributes_and_locations_map_to_the_request() -> None:
    post = parse_form(
        form(
            ("category", INFRA + "compute"),
            ("category", "http://schemas.openstack.org/template/resource#itsy"),
            ("occi.core.title", " vm one "),
            ("occi.compute.cores", "2"),
            ("location", "/compute/1"),
        )
    )
    request = post.request
    assert [(c.scheme, c.term, c.category_class) for c in request.categories] == [
        (INFRA, "compute", None),
        ("http://schemas.openstack.org/template/resource#", "itsy", None),
    ]
    assert request.attributes == {"occi.core.title": "vm one", "occi.compute.cores": "2"}
    assert request.locations == ["/compute/1"]


def test_empty_fields_mean_not_given() -> None:
    post = parse_form(form(("category", ""), ("occi.compute.hostname", "  "), ("method", "")))
    assert post.request.is_empty


def test_category_with_adds_the_mixin_only_when_its_attribute_is_filled() -> None:
    key = "occi.credentials.ssh.publickey"
    filled = parse_form(form(("_category_with", f"{key} {SSH}"), (key, "ssh-ed25519 AAAA x")))
    assert [c.type_id for c in filled.request.categories] == [SSH]
    empty = parse_form(form(("_category_with", f"{key} {SSH}"), (key, "")))
    assert empty.request.categories == [] and key not in empty.request.attributes


def test_controls_are_not_attributes() -> None:
    post = parse_form(form(("_csrf", "abc"), ("_method", "delete"), ("_redirect", "/compute/")))
    assert (post.csrf, post.method, post.redirect) == ("abc", "DELETE", "/compute/")
    assert post.request.is_empty


@pytest.mark.parametrize("method", ["GET", "PATCH", "POST"])
def test_method_override_is_put_or_delete_only(method: str) -> None:
    with pytest.raises(BadRequest, match="_method"):
        parse_form(form(("_method", method)))


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil", "https://evil.example/", "x"])
def test_redirects_stay_on_this_server(target: str) -> None:
    assert parse_form(form(("_redirect", target))).redirect is None
    assert not is_local_path(target)


def test_malformed_bodies_are_400() -> None:
    with pytest.raises(BadRequest):
        parse_form(b"occi.core.title=%ff%fe")
    with pytest.raises(BadRequest, match="scheme#term"):
        parse_form(form(("category", "no-term#")))


def test_form_content_type_detection() -> None:
    assert is_form("application/x-www-form-urlencoded; charset=UTF-8")
    assert not is_form("text/plain")
    assert not is_form(None)
