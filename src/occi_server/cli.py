"""The `occi-server` command: serve, db upgrade, token, user create, quota, image import."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import logging
import os
import signal
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

from occi_server import __version__, cli_quota
from occi_server.config import Config, ConfigError, load_config

log = logging.getLogger("occi_server")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="TOML configuration file (default: $OCCI_CONFIG)")
    parser.add_argument("--database", help="SQLAlchemy database URL (default: SQLite in data dir)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="occi-server", description="An OCCI 1.2 server")
    parser.add_argument("--version", action="version", version=f"occi-server {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP service")
    _common(serve)
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8787)")
    serve.add_argument("--workers", type=int, help="worker processes (default 1)")
    serve.add_argument("--auth", choices=["none", "token", "keystone"], help="default: token")
    serve.add_argument("--backend", choices=["local", "openstack"], help="default: local")
    serve.add_argument("--ssl-certfile", help="serve HTTPS with this certificate (PEM)")
    serve.add_argument("--ssl-keyfile", help="the certificate's private key (PEM)")
    serve.add_argument("--log-format", choices=["text", "json"], help="default: text")

    config = commands.add_parser("config", help="configuration files")
    config_commands = config.add_subparsers(dest="config_command", required=True)
    check = config_commands.add_parser("check", help="validate a configuration file")
    check.add_argument("file", help="the TOML file")

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    _common(db_commands.add_parser("upgrade", help="create or migrate the database"))

    token = commands.add_parser("token", help="API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create_token = token_commands.add_parser("create", help="print a new token (last line)")
    _common(create_token)
    create_token.add_argument("--project", required=True)
    create_token.add_argument("--user", required=True)
    revoke_token = token_commands.add_parser("revoke", help="make a token invalid")
    _common(revoke_token)
    revoke_token.add_argument("token", help="the token ('-': read it from standard input)")

    image = commands.add_parser("image", help="OS templates (images) of the embedded cloud")
    image_commands = image.add_subparsers(dest="image_command", required=True)
    import_image = image_commands.add_parser(
        "import", help="add an OS template every project may boot, from a qcow2 or raw file"
    )
    _common(import_image)
    import_image.add_argument("file", help="the disk image (qcow2 or raw)")
    import_image.add_argument("--name", required=True, help="the OS template's name")
    import_image.add_argument("--os-family", default="linux")
    import_image.add_argument("--os-version", default="")
    import_image.add_argument("--architecture", choices=["x86", "x64"], default="x64")

    user = commands.add_parser("user", help="HTTP Basic users")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    create_user = user_commands.add_parser("create", help="create a user with a password")
    _common(create_user)
    create_user.add_argument("--project", required=True)
    create_user.add_argument("--user", required=True)
    create_user.add_argument("--password", help="default: $OCCI_PASSWORD, else asked for")
    cli_quota.add_parser(commands, _common)
    return parser


def _config(args: argparse.Namespace) -> Config:
    overrides: dict[tuple[str, ...], Any] = {("database", "url"): getattr(args, "database", None)}
    for key in ("host", "port", "workers", "auth", "backend", "ssl_certfile", "ssl_keyfile"):
        overrides[("server", key)] = getattr(args, key, None)
    overrides[("log", "format")] = getattr(args, "log_format", None)
    return load_config(getattr(args, "config", None), overrides)


# Modules that come with an optional extra, and the extra to install for them.
EXTRAS = {
    "keystoneauth1": "openstack",
    "openstack": "openstack",
    "requests": "openstack",
    "psycopg": "postgresql",
    "psycopg2": "postgresql",
    "qemu": "qemu",
    "pycdlib": "qemu",
}


def main(argv: list[str] | None = None) -> int:
    from occi_server.http import access_log

    access_log.configure("text")
    args = build_parser().parse_args(argv)
    try:
        if args.command == "config":
            return config_check(args.file)
        config = _config(args)
        access_log.configure(config.log.format)
        if args.command == "serve":
            return serve(config, args.config)
        if args.command == "db":
            return db_upgrade(config)
        if args.command == "token" and args.token_command == "revoke":
            return token_revoke(config, args.token)
        if args.command == "token":
            return token_create(config, args.project, args.user)
        if args.command == "image":
            return image_import(config, args)
        if args.command == "quota":
            return cli_quota.run(config, args)
        return user_create(config, args.project, args.user, args.password)
    except ConfigError as error:
        print(f"occi-server: {error}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as error:
        extra = EXTRAS.get((error.name or "").split(".")[0])
        if extra is None:
            raise
        print(
            f"occi-server: this needs the {extra} extra ({error.name} is not installed): "
            f"pip install 'occi-server[{extra}]'",
            file=sys.stderr,
        )
        return 2


def config_check(path: str) -> int:
    """Validate a configuration file as `serve` would (defaults < file < environment)."""
    from occi_server.bootstrap import cloud_offer

    cloud_offer(load_config(path).cloud)
    print(f"{path}: ok")
    return 0


def db_upgrade(config: Config) -> int:
    from occi_server.db.migrate import current_revision, upgrade

    upgrade(config.database_url)
    print(f"database {config.database_url} at revision {current_revision(config.database_url)}")
    return 0


def _store(config: Config) -> Any:
    from occi_server.db.engine import make_engine
    from occi_server.db.migrate import upgrade
    from occi_server.identity.store import IdentityStore

    upgrade(config.database_url)
    return IdentityStore(make_engine(config.database_url))


def token_create(config: Config, project: str, user: str) -> int:
    store = _store(config)
    store.ensure_project(project)
    store.ensure_user(project, user)
    print(f"token for user {user} in project {project}:")
    print(store.create_token(project, user))
    return 0


def token_revoke(config: Config, token: str) -> int:
    """Running servers stop accepting it within their token cache's 30 seconds."""
    token = (sys.stdin.readline() if token == "-" else token).strip()
    if not _store(config).revoke_token(token):
        print("occi-server: no such token", file=sys.stderr)
        return 1
    print("token revoked")
    return 0


def image_import(config: Config, args: argparse.Namespace) -> int:
    """Copy a disk image into the store and offer it to every project as an os_tpl."""
    from pathlib import Path

    from occi_server.backends.local.backend import LocalBackend
    from occi_server.backends.local.image_import import import_global
    from occi_server.backends.local.offer import Image
    from occi_server.bootstrap import cloud_offer
    from occi_server.db.engine import make_engine
    from occi_server.db.migrate import upgrade
    from occi_server.drivers import Drivers, disk_images
    from occi_server.drivers.files import FileStore
    from occi_server.drivers.simulated import SimulatedHypervisor
    from occi_server.errors import OcciError

    source = Path(args.file)
    if not source.is_file():
        print(f"occi-server: {source}: no such file", file=sys.stderr)
        return 2
    upgrade(config.database_url)
    store = FileStore(Path(config.data_dir) / "store")
    # No guest is touched: the backend is used for its transactions and catalogue only.
    backend = LocalBackend(
        make_engine(config.database_url),
        cloud_offer(config.cloud),
        Drivers(SimulatedHypervisor(store), store),
    )
    base = Image(args.name, "", args.os_family, args.os_version, args.architecture)
    try:
        mixin = import_global(backend, store, source, args.name, base)
    except (OcciError, disk_images.DiskImageError) as error:
        print(f"occi-server: {error}", file=sys.stderr)
        return 1
    finally:
        backend.close()
    print(f"imported {source} as OS template {mixin.type_id}")
    return 0


def user_create(config: Config, project: str, user: str, password: str | None) -> int:
    password = password or os.environ.get("OCCI_PASSWORD") or getpass.getpass("password: ")
    if not password:
        print("occi-server: a password is required", file=sys.stderr)
        return 2
    store = _store(config)
    store.ensure_project(project)
    store.create_user(project, user, password)
    print(f"user {user} created in project {project}")
    return 0


def serve(config: Config, config_path: str | None) -> int:

    from occi_server.db.migrate import upgrade

    if config.server.auth == "keystone":
        import keystoneauth1  # noqa: F401  (missing: main names the extra to install)
    if config.server.backend == "openstack":
        # Fail here, with the key named, rather than in every worker.
        from occi_server.backends.openstack.factory import build_openstack

        build_openstack(config)[0].close()
    else:
        upgrade(config.database_url)  # once, before any worker starts
    # A taken port fails here, in one line, before anything says "serving" or prints a token.
    problem = _cannot_listen(config.server.host, config.server.port)
    if problem is not None:
        print(f"occi-server: {problem}", file=sys.stderr)
        return 1
    if config.server.auth == "none":
        log.warning("authentication is OFF (--auth none): every caller acts as project 'default'")
    elif config.server.auth == "token":
        _first_start(config)
    # Workers are separate processes: hand them the resolved settings through the environment.
    os.environ.update(
        {
            "OCCI_DATA_DIR": config.data_dir,
            "OCCI_DATABASE_URL": config.database_url,
            "OCCI_AUTH": config.server.auth,
            "OCCI_BACKEND": config.server.backend,
            "OCCI_PUBLIC_URL": config.server.public_url,
            "OCCI_LOG_FORMAT": config.log.format,
        }
    )
    if config_path:
        os.environ["OCCI_CONFIG"] = config_path
    log.info(
        "serving OCCI on %s://%s:%d/ (backend %s, auth %s)",
        "https" if config.server.ssl_certfile else "http",
        config.server.host,
        config.server.port,
        config.server.backend,
        config.server.auth,
    )
    from occi_server.http.transport import uvicorn_config

    options: dict[str, Any] = {
        "factory": True,
        "log_level": "warning",
        "access_log": False,  # ours: http/access_log.py
        "timeout_graceful_shutdown": config.server.grace_seconds,
        "server_header": False,
        # Forwarded headers are believed only from server.trusted_proxies (http/proxy.py).
        "proxy_headers": False,
    }
    if config.server.ssl_certfile:
        options["ssl_certfile"] = config.server.ssl_certfile
        options["ssl_keyfile"] = config.server.ssl_keyfile
    if config.server.workers > 1:
        from occi_server.http import workers

        with _metrics_dir(config):
            workers.run(
                uvicorn_config(APP_FACTORY, config, workers=config.server.workers, **options)
            )
        return 0
    server = _GracefulServer(uvicorn_config(APP_FACTORY, config, **options))
    server.run()
    log.info("stopped")
    return 0 if server.started else 1


APP_FACTORY = "occi_server.http.app:create_app_from_env"


@contextlib.contextmanager
def _metrics_dir(config: Config) -> Iterator[None]:
    """Several workers share their metrics through files in one directory (emptied first)."""
    if not config.metrics.enabled:
        yield
        return
    from occi_server.http.metrics import MULTIPROC_ENV, prepare_multiprocess_dir

    chosen = config.metrics.multiprocess_dir or os.environ.get(MULTIPROC_ENV)
    with contextlib.ExitStack() as stack:
        path = chosen or stack.enter_context(tempfile.TemporaryDirectory(prefix="occi-metrics-"))
        prepare_multiprocess_dir(path)
        yield


class _GracefulServer:
    """uvicorn's Server, except that SIGTERM/SIGINT end it with status 0 once requests drain.

    uvicorn re-raises the signal after a graceful shutdown, which makes a clean stop look like
    a crash (status -15) to supervisors and tests.
    """

    def __new__(cls, config: Any) -> Any:
        import uvicorn

        class Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Iterator[None]:
                previous = {
                    sig: signal.signal(sig, self.handle_exit)
                    for sig in (signal.SIGINT, signal.SIGTERM)
                }
                try:
                    yield
                finally:
                    for sig, handler in previous.items():
                        signal.signal(sig, handler)

        return Server(config)


def _first_start(config: Config) -> None:
    """On an empty database, make a demo project and print a ready-to-paste request."""
    store = _store(config)
    if not store.is_empty():
        return
    store.ensure_project("demo")
    store.ensure_user("demo", "demo")
    token = store.create_token("demo", "demo")
    host = "127.0.0.1" if config.server.host in ("0.0.0.0", "::") else config.server.host
    print("First start: created project 'demo' with user 'demo'. Its token:", flush=True)
    print(f"  export OCCI_TOKEN={token}")
    print(
        f'  curl -H "X-Auth-Token: $OCCI_TOKEN" http://{host}:{config.server.port}/-/', flush=True
    )


def _cannot_listen(host: str, port: int) -> str | None:
    """Why the address cannot be listened on (bound by another program, not ours to use...),
    or None. A bind probe without SO_REUSEPORT: a server sharing the port that way counts."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is no obstacle
        try:
            probe.bind((host, port))
        except OSError as error:
            cause = (error.strerror or str(error)).lower()
            return f"cannot listen on {host}:{port}: {cause}"
    return None


if __name__ == "__main__":
    sys.exit(main())
