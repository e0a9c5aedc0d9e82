"""The service identity's settings from the OS_* environment: v3 password or application
credential, and a clear message naming what is missing (no Keystone needed)."""

from __future__ import annotations

import pytest
from keystoneauth1.identity import v3

from occi_server.identity.keystone import KeystoneSettings

BASE = {"OS_AUTH_URL": "https://keystone.example/v3/"}


def test_password_is_the_default() -> None:
    settings = KeystoneSettings.from_environment(
        {**BASE, "OS_USERNAME": "occi", "OS_PASSWORD": "pw", "OS_PROJECT_NAME": "service"}
    )
    assert settings.auth_type == "v3password"
    assert settings.auth_url == "https://keystone.example/v3"
    assert isinstance(settings.plugin(), v3.Password)


def test_application_credential_by_id_or_by_name_and_user() -> None:
    by_id = KeystoneSettings.from_environment(
        {
            **BASE,
            "OS_AUTH_TYPE": "v3applicationcredential",
            "OS_APPLICATION_CREDENTIAL_ID": "c0ffee",
            "OS_APPLICATION_CREDENTIAL_SECRET": "s3cret",
        }
    )
    assert by_id.auth_type == "v3applicationcredential"
    assert isinstance(by_id.plugin(), v3.ApplicationCredential)
    # the secret alone says which kind it is
    by_name = KeystoneSettings.from_environment(
        {
            **BASE,
            "OS_APPLICATION_CREDENTIAL_NAME": "occi",
            "OS_APPLICATION_CREDENTIAL_SECRET": "s3cret",
            "OS_USERNAME": "svc",
        }
    )
    assert by_name.auth_type == "v3applicationcredential"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"OS_USERNAME": "occi"}, "OS_PASSWORD"),
        ({"OS_PASSWORD": "pw"}, "OS_USERNAME or OS_USER_ID"),
        (
            {"OS_AUTH_TYPE": "v3applicationcredential", "OS_APPLICATION_CREDENTIAL_ID": "c"},
            "OS_APPLICATION_CREDENTIAL_SECRET",
        ),
        (
            {"OS_APPLICATION_CREDENTIAL_NAME": "n", "OS_APPLICATION_CREDENTIAL_SECRET": "s"},
            "OS_USERNAME or OS_USER_ID",
        ),
        ({"OS_AUTH_TYPE": "v3token", "OS_USERNAME": "u"}, "OS_AUTH_TYPE 'v3token'"),
    ],
)
def test_what_is_missing_is_named(env: dict[str, str], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        KeystoneSettings.from_environment({**BASE, **env})


def test_no_auth_url_is_named() -> None:
    with pytest.raises(ValueError, match="OS_AUTH_URL"):
        KeystoneSettings.from_environment({"OS_USERNAME": "u", "OS_PASSWORD": "p"})
