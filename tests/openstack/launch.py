"""Start `occi-server` with the openstack wiring until bootstrap.py has it (see docs/openstack.md).

Usage: python -m tests.openstack.launch serve --backend openstack --auth keystone ...
"""

from __future__ import annotations

import sys

from occi_server import bootstrap, cli
from occi_server.config import Config

_original = bootstrap.build_backend_and_auth


def _build(config: Config):  # type: ignore[no-untyped-def]
    if config.server.backend == "openstack":
        from occi_server.backends.openstack.factory import build_openstack

        return build_openstack(config)
    return _original(config)


bootstrap.build_backend_and_auth = _build

if __name__ == "__main__":
    sys.exit(cli.main())
