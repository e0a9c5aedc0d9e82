"""The openstack backend: the cloud is the truth, the server keeps no state of its own.

Every call is made with the caller's validated Keystone token (from identity/keystone.py's
TokenValidator, whose short cache also carries the token's catalogue). The only things kept in
memory are caches (flavors/images/pools per project for a few seconds) and a connection pool,
so any number of workers can serve the same cloud.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session

from occi_server.backends.base import SERVED_KINDS, SUPPORTED_MIXINS, ProjectCloud
from occi_server.backends.openstack import views
from occi_server.backends.openstack.client import OpenStackApi
from occi_server.backends.openstack.objects import OpenStackObjects
from occi_server.backends.openstack.project_cloud import OpenStackProjectCloud
from occi_server.backends.openstack.scope import Scope, Settings
from occi_server.backends.openstack.templates import OfferCache
from occi_server.categories import appliances, cdmi
from occi_server.categories import openstack as ext
from occi_server.context import RequestContext
from occi_server.errors import Unauthorized
from occi_server.identity.keystone import TokenValidator
from occi_server.model import Category
from occi_server.model.category import KindExtension

# The service types the backend calls (client.OpenStackApi), checked by /readyz.
SERVICES = ("compute", "network", "volumev3", "image")
_ACTIONS = views.ACTIONS


class OpenStackBackend:
    name = "openstack"

    def __init__(
        self,
        validator: TokenValidator,
        settings: Settings | None = None,
        timeout: float = 30.0,
        workers: int = 8,
        data_dir: Path | None = None,
    ) -> None:
        self._validator = validator
        self._settings = settings or Settings(region=validator.settings.region_name)
        self._http = ks_session.Session(timeout=timeout)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="openstack")
        self._offers = OfferCache()
        # Images and volumes as CDMI objects (http/cdmi.py), when there is a place to receive
        # uploads in; copies between Cinder and Glance may take [cdmi]-upload-long.
        self.objects: OpenStackObjects | None = None
        if data_dir is not None:
            staging = data_dir / "cdmi-staging"
            self.objects = OpenStackObjects(self.scope, staging, self._settings.transfer_timeout)

    def served_kinds(self) -> frozenset[str]:
        return SERVED_KINDS

    def implemented_actions(self) -> frozenset[str]:
        return _ACTIONS

    def supported_mixins(self) -> frozenset[str]:
        return SUPPORTED_MIXINS

    def extra_categories(self) -> Sequence[Category]:
        return (*ext.CATEGORIES, *appliances.CATEGORIES)  # the OVF export (service/appliances)

    def kind_extensions(self) -> Sequence[KindExtension]:
        found = (ext.COMPUTE_EXTENSION, appliances.COMPUTE_EXTENSION)
        return (*found, cdmi.STORAGE_EXTENSION) if self.objects is not None else found

    @contextmanager
    def open(self, ctx: RequestContext, *, write: bool = True) -> Iterator[ProjectCloud]:
        del write  # no transactions: every call is OpenStack's own
        with self.scope(ctx) as scope:
            yield OpenStackProjectCloud(scope)

    @contextmanager
    def scope(self, ctx: RequestContext) -> Iterator[Scope]:
        """The caller's view of the cloud, with the caller's validated token."""
        if not ctx.token:
            raise self._validator.unauthorized("the openstack backend needs --auth keystone")
        info = self._validator.validate(ctx.token)
        api = OpenStackApi(
            self._http, info, self._pool, self._settings.region, self._settings.interface
        )
        try:
            base = f"{ctx.base_url}/cdmi/{quote(api.project_id, safe='')}/volumes/"
            yield Scope(api, self._offers, self._settings, base if self.objects else "")
        except Unauthorized as error:
            # The token went bad between validation and use: forget it, tell how to get one.
            self._validator.forget(ctx.token)
            raise self._validator.unauthorized(error.message) from None

    def start(self) -> None:
        """Nothing runs in the background: OpenStack applies its own operations."""

    def readiness(self, timeout: float) -> dict[str, str | None]:
        """Keystone and each service's endpoint answer (any HTTP answer below 500 will do:
        without a token Nova says 401, which is an answer). Checked concurrently."""
        try:
            endpoints = self._validator.endpoints(SERVICES, self._settings.interface)
        except ks_exceptions.ClientException as error:
            return {"keystone": f"no service catalogue ({type(error).__name__})"}
        checks = {
            service: self._pool.submit(self._answers, url, timeout)
            for service, url in endpoints.items()
            if url is not None
        }
        found: dict[str, str | None] = self._validator.readiness(timeout)
        for service, url in endpoints.items():
            found[service] = "no endpoint in the catalogue" if url is None else None
        for service, check in checks.items():
            found[service] = check.result()
        return found

    def _answers(self, url: str, timeout: float) -> str | None:
        try:
            response = self._http.get(url, authenticated=False, raise_exc=False, timeout=timeout)
        except ks_exceptions.ClientException as error:
            return f"unreachable ({type(error).__name__})"
        return f"answered {response.status_code}" if response.status_code >= 500 else None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
