"""The `occi` command line: rOCCI-cli's options (--action/--resource/...) and subcommands.

    occi --endpoint URL --auth token --action create --resource compute \
         --mixin os_tpl#cirros --mixin resource_tpl#itsy --attribute occi.core.title=web
    occi compute create --os-tpl cirros --resource-tpl itsy --name web --wait
"""

from __future__ import annotations

import argparse
import os

from occi_client.cli.output import FORMATS

ROCCI_ACTIONS = (
    "list",
    "describe",
    "create",
    "update",
    "delete",
    "trigger",
    "link",
    "unlink",
    "discover",
)
# Subcommands for the infrastructure kinds' actions (any other: `trigger ID ACTION`).
KIND_ACTIONS = {
    "compute": ("start", "stop", "restart", "suspend", "save"),
    "storage": ("online", "offline"),
    "network": ("up", "down"),
}
WAIT = "auto"
ENDPOINT = "http://127.0.0.1:8787/"


def _global(parser: argparse.ArgumentParser, *, leaf: bool = False) -> None:
    """The connection and output options. Subcommands (`leaf`) take them too, so they may come
    after the subcommand, without defaults there (those would override the ones given before)."""

    def default(value: object) -> object:
        return argparse.SUPPRESS if leaf else value

    env = os.environ.get
    g = parser.add_argument_group("connection")
    g.add_argument(
        "-e",
        "--endpoint",
        default=default(env("OCCI_ENDPOINT", ENDPOINT)),
        help=f"the OCCI server (OCCI_ENDPOINT; default {ENDPOINT})",
    )
    g.add_argument(
        "-n",
        "--auth",
        choices=("none", "token", "basic", "keystone"),
        default=default(env("OCCI_AUTH")),
        help="how to authenticate (OCCI_AUTH; default: token when one is given, "
        "keystone when OS_CLOUD or OS_AUTH_URL is set, basic with a username)",
    )
    g.add_argument("--token", default=default(env("OCCI_TOKEN")), help="X-Auth-Token (OCCI_TOKEN)")
    g.add_argument(
        "-u",
        "--username",
        default=default(env("OCCI_USERNAME")),
        help="Basic or Keystone user (OCCI_USERNAME)",
    )
    g.add_argument(
        "-p",
        "--password",
        default=default(env("OCCI_PASSWORD")),
        help="Basic or Keystone password (OCCI_PASSWORD)",
    )
    g.add_argument(
        "--os-cloud",
        default=default(None),
        help="Keystone credentials from this cloud of clouds.yaml (else OS_CLOUD/OS_*)",
    )
    g.add_argument(
        "--project", default=default(None), help="the Keystone project to scope the token to"
    )
    g.add_argument(
        "--user-domain", default=default(None), help="the Keystone user domain (default Default)"
    )
    g.add_argument(
        "--project-domain",
        default=default(None),
        help="the Keystone project domain (default Default)",
    )
    g.add_argument(
        "-m",
        "--media-type",
        "--rendering",
        dest="rendering",
        default=default(env("OCCI_RENDERING")),
        help="text/plain, text/occi or application/occi+json (default: negotiated)",
    )
    g.add_argument(
        "--insecure",
        action="store_true",
        default=default(False),
        help="do not verify TLS certificates",
    )
    g.add_argument("--timeout", type=float, default=default(60.0), help="seconds per request")
    g.add_argument(
        "-d",
        "--debug",
        action="store_true",
        default=default(False),
        help="show each request and answer on stderr (tokens masked)",
    )
    o = parser.add_argument_group("output")
    o.add_argument("-o", "--output-format", choices=FORMATS, default=default("plain"))
    o.add_argument(
        "--wait",
        nargs="?",
        const=WAIT,
        default=default(None),
        metavar="STATE",
        help="after create/trigger wait for the entity's state (default: the state "
        "the operation leads to, e.g. active after create or start)",
    )
    o.add_argument(
        "--wait-timeout", type=float, default=default(300.0), help="seconds (default 300)"
    )


def _rocci(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("rOCCI-cli form (with --action)")
    g.add_argument("-a", "--action", choices=ROCCI_ACTIONS)
    g.add_argument(
        "-r",
        "--resource",
        help="compute, storage, network, os_tpl, resource_tpl, a kind, or a location",
    )
    g.add_argument(
        "-M",
        "--mixin",
        action="append",
        default=[],
        help="os_tpl#TERM, resource_tpl#TERM, a term or a type id (repeatable)",
    )
    g.add_argument(
        "-t",
        "--attribute",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an attribute, or an action parameter with trigger (repeatable)",
    )
    g.add_argument("-g", "--trigger-action", help="the action of --action trigger")
    g.add_argument(
        "-T",
        "--context",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="create: user_data=... or public_key=... (a value, or file://PATH)",
    )
    g.add_argument(
        "-j",
        "--link",
        action="append",
        default=[],
        help="a link target (create, link) or a link location (unlink)",
    )


def _entity_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    help_text: str,
    *,
    generic: bool = False,
) -> None:
    noun = sub.add_parser(name, help=help_text)
    if generic:
        noun.add_argument("kind", help="the kind, by term or type id (e.g. rule)")
    verbs = noun.add_subparsers(dest="verb", required=True, metavar="VERB")
    listing = verbs.add_parser("list", help="locations in the collection")
    listing.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="only entities with this attribute value (repeatable)",
    )
    listing.add_argument(
        "--category", action="append", default=[], help="only entities with this mixin (repeatable)"
    )
    listing.add_argument("--page", type=int)
    listing.add_argument("--number", type=int, help="entities per page")
    listing.add_argument("--full", action="store_true", help="describe each entity")
    show = verbs.add_parser("show", aliases=["describe"], help="one entity")
    show.add_argument("id", nargs="+", help="an id or a location")
    create = verbs.add_parser("create", help="a new entity")
    create.add_argument("--name", "--title", dest="title", help="occi.core.title")
    if name == "compute":
        create.add_argument("--os-tpl", help="an OS template (term or type id)")
        create.add_argument("--resource-tpl", help="a resource template (term or type id)")
    if name == "compute":
        create.add_argument("--user-data", metavar="FILE", help="boot data (user_data mixin)")
        create.add_argument("--ssh-key", metavar="FILE", help="a public key (ssh_key mixin)")
    if name == "storage":
        create.add_argument("--size", type=float, help="occi.storage.size in GiB")
    _entity_values(create)
    create.add_argument("--link", action="append", default=[], help="inline link target")
    update = verbs.add_parser("update", help="partial update: add mixins, set attributes")
    update.add_argument("id")
    _entity_values(update)
    delete = verbs.add_parser("delete", help="delete entities (an id, a location)")
    delete.add_argument("id", nargs="+")
    trigger = verbs.add_parser("trigger", help="run an action")
    trigger.add_argument("id")
    trigger.add_argument("trigger_action", metavar="ACTION")
    trigger.add_argument("--attribute", action="append", default=[], metavar="NAME=VALUE")
    for action in KIND_ACTIONS.get(name, ()):
        verb = verbs.add_parser(action, help=f"the {action} action")
        verb.add_argument("id")
        verb.add_argument(
            "--attribute",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="an action parameter (method=graceful)",
        )
        verb.set_defaults(trigger_action=action)
    wait = verbs.add_parser("wait", help="wait for a state")
    wait.add_argument("id")
    wait.add_argument("state", nargs="+")


def _entity_values(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mixin", action="append", default=[], help="a mixin (repeatable)")
    parser.add_argument("--attribute", action="append", default=[], metavar="NAME=VALUE")


def _link_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    noun = sub.add_parser("link", help="links between resources")
    verbs = noun.add_subparsers(dest="verb", required=True, metavar="VERB")
    create = verbs.add_parser("create", help="link SOURCE to TARGET")
    create.add_argument("source")
    create.add_argument("target")
    create.add_argument("--kind", help="the link kind (default: by the target's kind)")
    _entity_values(create)
    show = verbs.add_parser("show", aliases=["describe"])
    show.add_argument("id", nargs="+")
    delete = verbs.add_parser("delete", aliases=["unlink"])
    delete.add_argument("id", nargs="+")
    listing = verbs.add_parser("list")
    listing.add_argument("kind", nargs="?", default="http://schemas.ogf.org/occi/core#link")


def _mixin_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    noun = sub.add_parser("mixin", help="user mixins and mixin membership")
    verbs = noun.add_subparsers(dest="verb", required=True, metavar="VERB")
    create = verbs.add_parser("create", help="a user mixin (tag)")
    create.add_argument("term")
    create.add_argument("--scheme", required=True)
    create.add_argument("--location", required=True, help="its collection, a path ending in /")
    create.add_argument("--depends", action="append", default=[], help="type id it depends on")
    create.add_argument("--title")
    delete = verbs.add_parser("delete", help="a user mixin")
    delete.add_argument("mixin")
    for verb, text in (
        ("add", "add the mixin to entities"),
        ("remove", "remove the mixin from entities"),
        ("set", "make exactly these entities carry it"),
    ):
        member = verbs.add_parser(verb, help=text)
        member.add_argument("mixin")
        member.add_argument("id", nargs="*" if verb != "add" else "+")
    members = verbs.add_parser("members", help="the entities that carry the mixin")
    members.add_argument("mixin")


def build() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="occi",
        description="An OCCI 1.1/1.2 client. Subcommands, or rOCCI-cli's --action form.",
    )
    _global(parser)
    _rocci(parser)
    sub = parser.add_subparsers(dest="noun", metavar="COMMAND")
    discover = sub.add_parser("discover", help="kinds, mixins and actions of the server")
    discover.add_argument("category", nargs="*", help="only these categories (type ids)")
    discover.add_argument("--kinds", action="store_true")
    discover.add_argument("--mixins", action="store_true")
    discover.add_argument("--actions", action="store_true")
    discover.add_argument("--full", action="store_true", help="attributes and actions too")
    templates = sub.add_parser("templates", help="OS or resource templates")
    templates.add_argument("sort", choices=("os", "resource"))
    for name in ("compute", "storage", "network"):
        _entity_commands(sub, name, f"{name} resources")
    _entity_commands(sub, "kind", "entities of any kind", generic=True)
    _link_commands(sub)
    _mixin_commands(sub)
    completion = sub.add_parser("completion", help="print a shell completion script")
    completion.add_argument("shell", choices=("bash", "zsh", "fish", "tcsh"))
    for leaf in _leaves(parser):
        _global(leaf, leaf=True)
    return parser


def _leaves(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """The parsers without subcommands below `parser` (each once: aliases share a parser)."""
    out: list[argparse.ArgumentParser] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                below = _leaves(child)
                out.extend(below or [child])
    return out
