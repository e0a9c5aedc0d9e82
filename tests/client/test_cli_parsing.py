"""The occi command's parsing: both forms, options after subcommands, typed values."""

from __future__ import annotations

import pytest

from occi_client.cli.parser import build
from occi_client.cli.settings import UsageError, typed_value
from occi_client.model import AttributeDef, Category, Model


def test_rocci_form() -> None:
    args = build().parse_args(
        [
            "--endpoint",
            "http://h:8787",
            "--auth",
            "token",
            "--token",
            "t",
            "--action",
            "create",
            "--resource",
            "compute",
            "--mixin",
            "os_tpl#cirros",
            "--mixin",
            "resource_tpl#itsy",
            "--attribute",
            "occi.core.title=web",
            "--output-format",
            "json_pretty",
        ]
    )
    assert args.noun is None and args.action == "create" and args.resource == "compute"
    assert args.mixin == ["os_tpl#cirros", "resource_tpl#itsy"]
    assert args.attribute == ["occi.core.title=web"] and args.output_format == "json_pretty"


def test_subcommands_take_the_global_options_after_them_too() -> None:
    args = build().parse_args(
        [
            "-o",
            "json",
            "compute",
            "create",
            "--os-tpl",
            "cirros",
            "--name",
            "web",
            "--wait",
            "--endpoint",
            "http://x/",
        ]
    )
    assert (args.noun, args.verb, args.os_tpl, args.title) == ("compute", "create", "cirros", "web")
    assert args.wait == "auto" and args.endpoint == "http://x/" and args.output_format == "json"
    args = build().parse_args(["compute", "stop", "ID", "--wait", "inactive"])
    assert args.trigger_action == "stop" and args.wait == "inactive"
    args = build().parse_args(["kind", "rule", "list", "--page", "2", "--number", "10"])
    assert (args.kind, args.page, args.number) == ("rule", 2, 10)


def test_typed_values() -> None:
    assert typed_value("occi.core.title", "123", None) == "123"
    assert typed_value("x", '"123"', "number") == "123"
    assert typed_value("occi.compute.cores", "2", None) == 2
    assert typed_value("occi.storage.size", "1", "number") == 1
    assert typed_value("occi.compute.memory", "0.5", "number") == 0.5
    assert typed_value("flag", "true", "boolean") is True
    assert typed_value("name", "true", "string") == "true"
    assert typed_value("rules", '[{"p": 1}]', "array") == [{"p": 1}]
    with pytest.raises(UsageError, match="is a number"):
        typed_value("occi.compute.cores", "many", "number")


def test_model_lookups() -> None:
    infra = "http://schemas.ogf.org/occi/infrastructure#"
    os_tpl = Category("os_tpl", infra, "mixin", location="/mixin/os_tpl/")
    cirros = Category(
        "cirros-0.3.0-x86_64-uec", "http://o/os#", "mixin", depends=[infra + "os_tpl"]
    )
    flavor = Category(
        "itsy",
        "http://o/r#",
        "mixin",
        depends=[infra + "resource_tpl"],
        attributes={"a": AttributeDef("a", type="number")},
    )
    start_c = Category("start", infra.rstrip("#") + "/compute/action#", "action")
    start_n = Category("start", "http://o/other#", "action")
    compute = Category("compute", infra, "kind", location="/compute/", actions=[start_c.type_id])
    model = Model(
        [
            compute,
            os_tpl,
            cirros,
            flavor,
            start_c,
            start_n,
            Category("resource_tpl", infra, "mixin"),
        ]
    )
    assert model.mixin("os_tpl#cirros") is cirros  # a unique prefix of a template term
    assert model.mixin("resource_tpl#itsy") is flavor
    assert model.kind("/compute/") is compute
    assert model.kind_at("/compute/42") is compute
    from occi_client.model import Entity, UnknownCategory

    with pytest.raises(UnknownCategory, match="ambiguous"):
        model.action("start")
    assert model.action("start", Entity(kind=compute.type_id)) is start_c
    with pytest.raises(UnknownCategory, match="no mixin"):
        model.mixin("os_tpl#windows")
