"""Wiring for bootstrap: the openstack backend and --auth keystone share one token validator."""

from __future__ import annotations

import os

from occi_server.backends.openstack.backend import OpenStackBackend
from occi_server.backends.openstack.scope import Settings
from occi_server.config import ConfigError
from occi_server.identity.keystone import KeystoneAuth, KeystoneSettings, TokenValidator


def build_openstack(auth: str) -> tuple[OpenStackBackend, KeystoneAuth]:
    """Service identity from OS_CLOUD / OS_* (only for validating tokens)."""
    if auth != "keystone":
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
    )
    timeout = float(os.environ.get("OCCI_OPENSTACK_TIMEOUT", "30"))
    return OpenStackBackend(validator, settings, timeout=timeout), KeystoneAuth(validator)
