"""Credentials and contextualization of a compute.

- `org.openstack.credentials.admin_pwd` (given at creation, by a partial update, or by the
  `chg_pwd` action) is write-only: only its scrypt hash is kept, as a private value of the
  compute (never an attribute, so it is neither rendered nor searchable).
- The OpenStack `public_key` and `user_data` mixins and OCCI's `ssh_key` and `user_data` are
  stored as the compute's mixins and attributes and rendered back: a public key and boot data
  that the instance reads from its metadata service are not secrets.
- OpenStack and OCCI user data on one compute is a 409 Conflict, as ooi answered: Nova boots
  with one user-data blob, and keeping one of the two silently would lose the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from occi_server.backends.local import private
from occi_server.backends.local.scope import Scope
from occi_server.backends.local.store import EntityRecord
from occi_server.categories import openstack
from occi_server.errors import BadRequest, Conflict
from occi_server.identity.passwords import hash_password, verify_password

ADMIN_PWD = openstack.ADMIN_PWD
OS_USER_DATA = "org.openstack.compute.user_data"
OCCI_USER_DATA = "occi.compute.userdata"


def take_password(attributes: dict[str, Any]) -> str | None:
    """Remove the password from values about to be stored; None when none was given."""
    value = attributes.pop(ADMIN_PWD, None)
    if value is None:
        return None
    password = str(value)
    if not password:
        raise BadRequest(f"attribute {ADMIN_PWD}: must not be empty")
    return password


def set_password(scope: Scope, row: EntityRecord, password: str) -> None:
    hashed = scope.hashes.get(password)
    if hashed is None:
        hashed = scope.hashes[password] = hash_password(password)
    private.put(scope, row, private.ADMIN_PWD_HASH, hashed)


def password_matches(scope: Scope, row: EntityRecord, password: str) -> bool:
    stored = private.get(scope, row, private.ADMIN_PWD_HASH)
    return verify_password(password, stored if isinstance(stored, str) else None)


def check_user_data(attributes: Mapping[str, Any]) -> None:
    if attributes.get(OS_USER_DATA) is not None and attributes.get(OCCI_USER_DATA) is not None:
        raise Conflict(
            f"give user data once: {OS_USER_DATA} (OpenStack user_data) or "
            f"{OCCI_USER_DATA} (OCCI user_data), not both"
        )
