"""Wiring for bootstrap: the openstack backend and --auth keystone share one token validator."""

from __future__ import annotations

import os
from pathlib import Path

from occi_server.backends.openstack.backend import OpenStackBackend
from occi_server.backends.openstack.scope import Settings
from occi_server.config import Config, ConfigError
from occi_server.identity.keystone import KeystoneAuth, KeystoneSettings, TokenValidator


def build_openstack(config: Config) -> tuple[OpenStackBackend, KeystoneAuth]:
    """Service identity from OS_CLOUD / OS_* (only for validating tokens)."""
    if config.server.auth != "keystone":
        raise ConfigError("config key server.auth: the openstack backend needs --auth keystone")
    try:
        keystone = KeystoneSettings.from_environment()
    except ValueError as error:
        raise ConfigError(str(error)) from None
    validator = TokenValidator(keystone)
    settings = Settings(
        region=validator.settings.region_name,
        interface=os.environ.get("OS_INTERFACE", "public"),
        default_image=os.environ.get("OCCI_OPENSTACK_DEFAULT_IMAGE", "cirros-0.3.0-x86_64-uec"),
        default_network=os.environ.get("OCCI_OPENSTACK_DEFAULT_NETWORK", ""),
        transfer_timeout=float(config.cdmi.upload_timeout),
    )
    timeout = float(os.environ.get("OCCI_OPENSTACK_TIMEOUT", "30"))
    # CDMI receives uploads under the data directory before they go to Glance.
    data_dir = Path(config.data_dir) if config.cdmi.enabled else None
    backend = OpenStackBackend(validator, settings, timeout=timeout, data_dir=data_dir)
    return backend, KeystoneAuth(validator)
