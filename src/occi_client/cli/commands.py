"""What each `occi` command does, on a Client."""

from __future__ import annotations

import argparse
import base64
import sys
from pathlib import Path
from typing import Any

from occi_client.cli.output import Printer
from occi_client.cli.parser import WAIT
from occi_client.cli.settings import UsageError, split_pairs, typed_attributes
from occi_client.client import Client
from occi_client.model import INFRA, OS_TPL, RESOURCE_TPL, Category, Entity, Link, Model
from occi_client.text import unquote as text_unquote

# The state an operation leads to, for a bare --wait.
_AFTER_ACTION = {
    "start": "active",
    "restart": "active",
    "save": "active",
    "stop": "inactive",
    "suspend": "suspended",
    "up": "active",
    "down": "inactive",
    "online": "online",
    "offline": "offline",
}
_AFTER_CREATE = {INFRA + "storage": "online"}
_TEMPLATES = {"os_tpl": OS_TPL, "resource_tpl": RESOURCE_TPL}


class Runner:
    def __init__(self, client: Client, args: argparse.Namespace, printer: Printer) -> None:
        self.client = client
        self.args = args
        self.out = printer

    # --- helpers ------------------------------------------------------------------------------

    def location(self, ident: str, kind: str | None) -> str:
        """An id becomes a location in the kind's collection; paths and URLs stay."""
        if "/" in ident:
            return ident
        if kind is None:
            raise UsageError(f"{ident!r}: give a location (/compute/ID), not a bare id")
        category = self.client.model.kind(kind)
        if not category.location:
            raise UsageError(f"{category.type_id} has no collection on this server")
        return category.location + ident

    def attributes(self, pairs: list[str], scope: list[Category] | None = None) -> dict[str, Any]:
        return typed_attributes(pairs, self.client.model, scope)

    def wait_for(self, location: str, default: str | None) -> None:
        wanted = self.args.wait
        if wanted is None:
            return
        state = default if wanted == WAIT else wanted
        if state is None:  # the operation is done; only the waiting has no target
            sys.stderr.write(
                "occi: --wait: no state known to follow this; give one (--wait STATE)\n"
            )
            return
        entity = self.client.wait(location, state, timeout=self.args.wait_timeout)
        # On stderr: stdout stays what scripts read (the location of what was created).
        sys.stderr.write(f"{entity.location}: {entity.state}\n")

    def _links(self, targets: list[str]) -> list[Link]:
        model = self.client.model
        links = []
        for target in targets:
            kind = model.kind_at(self.client.ops.path(target))
            if kind is None:
                raise UsageError(f"--link {target}: not in any kind's collection")
            links.append(
                Link(
                    target=self.client.ops.path(target),
                    rel=[kind.type_id],
                    kind=model.link_kind_for(kind.type_id).type_id,
                )
            )
        return links

    # --- shared operations --------------------------------------------------------------------

    def discover(
        self, filters: list[str], kinds: bool, mixins: bool, actions: bool, full: bool
    ) -> None:
        model = self.client.discover(filters) if filters else self.client.model
        if not (kinds or mixins or actions or full or filters):
            self.out.model(model)
            return
        chosen = [
            c
            for c in model.categories
            if not (kinds or mixins or actions)
            or (kinds and c.category_class == "kind")
            or (mixins and c.category_class == "mixin")
            or (actions and c.category_class == "action")
        ]
        if full or filters:
            self.out.categories(chosen)
        else:
            self.out.lines([c.type_id for c in chosen])

    def templates(self, base: str) -> list[Category]:
        return self.client.model.templates(base)

    def create(
        self,
        kind: str,
        mixins: list[str],
        pairs: list[str],
        links: list[str],
        extra: dict[str, Any] | None = None,
        contexts: list[str] | None = None,
    ) -> str:
        category = self.client.model.kind(kind)
        resolved = [self.client.model.mixin(m) for m in mixins]
        context_mixins, context_values = context(self.client.model, contexts or [])
        resolved += context_mixins
        values = {**(extra or {}), **context_values}
        values.update(self.attributes(pairs, [category, *resolved]))
        location = self.client.create(
            category, mixins=resolved, attributes=values, links=self._links(links)
        )
        self.out.message(location, location=location)
        self.wait_for(location, _AFTER_CREATE.get(category.type_id, "active"))
        return location

    def trigger(self, location: str, action: str, pairs: list[str]) -> None:
        model = self.client.model
        try:
            category = model.action(action)
        except LookupError:
            category = model.action(action, self.client.describe(location))
        result = self.client.trigger(location, category, self.attributes(pairs, [category]))
        if isinstance(result, Entity):
            if self.args.wait is None:
                self.out.entity(result)
        elif isinstance(result, list):
            self.out.categories(result)
        else:
            self.out.message(f"{location}: {category.term} done", location=location)
        if not location.endswith("/"):
            self.wait_for(location, _AFTER_ACTION.get(category.term))

    def describe(self, locations: list[str]) -> None:
        self.out.entities([self.client.describe(x) for x in locations])

    def delete(self, locations: list[str]) -> None:
        for location in locations:
            self.client.delete(location)
            self.out.message(f"{location}: deleted", location=location, deleted=True)


def rocci(runner: Runner, args: argparse.Namespace) -> None:
    """The rOCCI-cli form: --action ACTION --resource RESOURCE ..."""
    action, resource = args.action, args.resource
    client = runner.client
    if action == "discover":
        runner.discover(
            [resource] if resource and "#" in resource else [], False, False, False, bool(resource)
        )
        return
    if not resource:
        raise UsageError(f"--action {action} needs --resource")
    if resource in _TEMPLATES:
        found = runner.templates(_TEMPLATES[resource])
        if action == "list":
            runner.out.lines([f"{resource}#{t.term}" for t in found])
        elif action == "describe":
            runner.out.categories(found)
        else:
            raise UsageError(f"--action {action} does not apply to {resource}")
        return
    is_location = "/" in resource and "#" not in resource
    if action == "list":
        runner.out.lines(client.list(resource))
    elif action == "describe":
        if is_location and not resource.endswith("/"):
            runner.describe([resource])
        elif "#" in resource and client.model.get(resource) is not None:
            runner.out.categories([client.model.get(resource)])  # type: ignore[list-item]
        else:
            runner.out.entities(client.describe_all(resource))
    elif action == "create":
        runner.create(resource, args.mixin, args.attribute, args.link, contexts=args.context)
    elif action == "update":
        mixins = [client.model.mixin(m) for m in args.mixin]
        client.update(resource, mixins=mixins, attributes=runner.attributes(args.attribute, mixins))
        runner.out.message(f"{resource}: updated", location=resource)
    elif action == "delete":
        runner.delete([resource])
    elif action == "trigger":
        if not args.trigger_action:
            raise UsageError("--action trigger needs --trigger-action")
        runner.trigger(resource, args.trigger_action, args.attribute)
    elif action == "link":
        if not args.link:
            raise UsageError("--action link needs --link TARGET")
        for target in args.link:
            made = client.link(resource, target, attributes=runner.attributes(args.attribute))
            runner.out.message(made, location=made)
    elif action == "unlink":
        if not args.link:
            raise UsageError("--action unlink needs --link LINK_LOCATION")
        runner.delete(args.link)


def subcommand(runner: Runner, args: argparse.Namespace) -> None:
    noun = args.noun
    client = runner.client
    if noun == "discover":
        runner.discover(args.category, args.kinds, args.mixins, args.actions, args.full)
    elif noun == "templates":
        base = OS_TPL if args.sort == "os" else RESOURCE_TPL
        found = runner.templates(base)
        if runner.out.fmt == "plain":
            runner.out.lines([f"{t.term}  {t.title or ''}".rstrip() for t in found])
        else:
            runner.out.categories(found)
    elif noun == "link":
        _link(runner, args)
    elif noun == "mixin":
        _mixin(runner, args)
    else:
        kind = args.kind if noun == "kind" else INFRA + noun
        _entity(runner, args, kind)
    del client


def _entity(runner: Runner, args: argparse.Namespace, kind: str) -> None:
    client, verb = runner.client, args.verb
    if verb == "list":
        filters = dict(split_pairs(args.filter, "--filter"))
        typed = runner.attributes([f"{k}={v}" for k, v in filters.items()])
        options = {
            "categories": [client.model.mixin(c) for c in args.category],
            "attributes": typed,
            "page": args.page,
            "number": args.number,
        }
        if args.full:
            runner.out.entities(client.describe_all(kind, **options))
        else:
            runner.out.lines(client.list(kind, **options))
    elif verb in ("show", "describe"):
        runner.describe([runner.location(x, kind) for x in args.id])
    elif verb == "create":
        mixins = list(args.mixin)
        extra: dict[str, Any] = {}
        if getattr(args, "os_tpl", None):
            mixins.append(_template(args.os_tpl, "os_tpl"))
        if getattr(args, "resource_tpl", None):
            mixins.append(_template(args.resource_tpl, "resource_tpl"))
        if getattr(args, "size", None) is not None:
            extra["occi.storage.size"] = args.size
        if args.title:
            extra["occi.core.title"] = args.title
        contexts = []
        if getattr(args, "user_data", None):
            contexts.append(f"user_data=file://{args.user_data}")
        if getattr(args, "ssh_key", None):
            contexts.append(f"public_key=file://{args.ssh_key}")
        runner.create(kind, mixins, args.attribute, args.link, extra, contexts)
    elif verb == "update":
        location = runner.location(args.id, kind)
        mixins = [client.model.mixin(m) for m in args.mixin]
        result = client.update(
            location, mixins=mixins, attributes=runner.attributes(args.attribute, mixins)
        )
        if result is not None:
            runner.out.entity(result)
        else:
            runner.out.message(f"{location}: updated", location=location)
    elif verb == "delete":
        runner.delete([runner.location(x, kind) for x in args.id])
    elif verb == "wait":
        entity = client.wait(runner.location(args.id, kind), args.state, timeout=args.wait_timeout)
        runner.out.message(
            f"{entity.location}: {entity.state}", location=entity.location, state=entity.state
        )
    else:  # trigger, or an action verb
        runner.trigger(runner.location(args.id, kind), args.trigger_action, args.attribute)


# rOCCI-cli's --context names -> (mixin, attribute) choices, OCCI 1.2's first, OpenStack's next.
_CONTEXTS = {
    "user_data": (
        ("http://schemas.ogf.org/occi/infrastructure/compute#user_data", "occi.compute.userdata"),
        (
            "http://schemas.openstack.org/compute/instance#user_data",
            "org.openstack.compute.user_data",
        ),
    ),
    "public_key": (
        (
            "http://schemas.ogf.org/occi/infrastructure/credentials#ssh_key",
            "occi.credentials.ssh.publickey",
        ),
        (
            "http://schemas.openstack.org/instance/credentials#public_key",
            "org.openstack.credentials.publickey.data",
        ),
    ),
}


def context(model: Model, pairs: list[str]) -> tuple[list[Category], dict[str, Any]]:
    """--context user_data=...|public_key=... (a value, or file://PATH) as the mixin the
    server offers and its attribute; user data goes base64-encoded, as rOCCI-cli sent it."""
    mixins: list[Category] = []
    values: dict[str, Any] = {}
    for name, raw in split_pairs(pairs, "--context"):
        if name not in _CONTEXTS:
            raise UsageError(f"--context {name}: user_data or public_key")
        text = _read_value(raw)
        found = [(model.get(m), a) for m, a in _CONTEXTS[name] if model.get(m) is not None]
        if not found:
            raise UsageError(f"--context {name}: the server offers no mixin for it")
        mixin, attribute = found[0]
        assert mixin is not None
        mixins.append(mixin)
        if name == "user_data":
            text = base64.b64encode(text.encode()).decode()
        values[attribute] = text.strip() if name == "public_key" else text
    return mixins, values


def _read_value(raw: str) -> str:
    value = text_unquote(raw)
    if not value.startswith("file://"):
        return value
    path = Path(value[len("file://") :]).expanduser()
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"--context: cannot read {path}: {error.strerror}") from error


def _template(name: str, base: str) -> str:
    return name if "#" in name else f"{base}#{name}"


def _link(runner: Runner, args: argparse.Namespace) -> None:
    client, verb = runner.client, args.verb
    if verb == "create":
        mixins = [client.model.mixin(m) for m in args.mixin]
        made = client.link(
            args.source,
            args.target,
            kind=args.kind,
            mixins=mixins,
            attributes=runner.attributes(args.attribute, mixins),
        )
        runner.out.message(made, location=made)
    elif verb in ("show", "describe"):
        runner.describe(args.id)
    elif verb in ("delete", "unlink"):
        runner.delete(args.id)
    else:
        runner.out.lines(client.list(args.kind))


def _mixin(runner: Runner, args: argparse.Namespace) -> None:
    client, verb = runner.client, args.verb
    if verb == "create":
        made = client.create_mixin(
            args.term, args.scheme, args.location, depends=args.depends, title=args.title
        )
        runner.out.message(made.type_id, type_id=made.type_id, location=made.location)
    elif verb == "delete":
        client.delete_mixin(args.mixin)
        runner.out.message(f"{args.mixin}: deleted", deleted=args.mixin)
    elif verb == "members":
        runner.out.lines(client.list(client.model.mixin(args.mixin)))
    else:
        operation = {
            "add": client.associate,
            "remove": client.dissociate,
            "set": client.set_members,
        }[verb]
        operation(args.mixin, args.id)
        runner.out.message(f"{args.mixin}: {verb} done", mixin=args.mixin, entities=args.id)
