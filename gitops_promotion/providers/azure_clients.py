"""The SDK clients the Azure DevOps adapter uses, built lazily, every request going through our retry.

``azure.devops.connection.Connection`` would look the resource areas up through a client of its own, whose
urllib3 retry sleeps for real on 429/503; so this module does that look-up itself with a client that goes
through ``retrying`` like every other, and keeps the SDK's on-disk cache of the answer (file ``resources.json``
in AZURE_DEVOPS_CACHE_DIR) so later runs skip it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

from gitops_promotion.providers.azure_http import retrying, sdk_call

USER_AGENT = "gitops-promotion"


def point_cache(cache_dir: str | None) -> None:
    """Honour AZURE_DEVOPS_CACHE_DIR from our settings: the SDK reads it only once, when first imported."""
    if not cache_dir:
        return
    from azure.devops import _file_cache

    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    for cache, name in ((_file_cache.OPTIONS_CACHE, "options"), (_file_cache.RESOURCE_CACHE, "resources")):
        target = str(Path(cache_dir) / f"{name}.json")
        if cache.file_name != target:
            cache.file_name = target
            cache.initial_load_occurred = False


def prepare(client: Any, sleep: Callable[[float], None]) -> Any:
    """``client`` with urllib3's retry off and every request sent through ``retrying``."""
    # Switch urllib3's retry off in place: msrest has already handed this very object to its session.
    policy = client.config.retry_policy.policy
    policy.total = policy.connect = policy.read = 0
    policy.status_forcelist = frozenset()
    policy.respect_retry_after_header = False
    policy.raise_on_status = False
    client._client.send = retrying(client._client.send, sleep)
    client.add_user_agent(USER_AGENT)
    return client


class Clients:
    """SDK clients for one organisation or collection; nothing is sent until a client is first used."""

    def __init__(
        self, base_url: str, token: str, *, bearer: bool, cache_dir: str | None, sleep: Callable[[float], None]
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._bearer = bearer
        self._cache_dir = cache_dir
        self._sleep = sleep

    @cached_property
    def _creds(self) -> Any:
        from msrest.authentication import BasicAuthentication, BasicTokenAuthentication

        point_cache(self._cache_dir)
        if self._bearer:
            return BasicTokenAuthentication({"access_token": self._token})
        return BasicAuthentication("", self._token)

    @cached_property
    def location(self) -> Any:
        from azure.devops.v7_1.location.location_client import LocationClient

        return prepare(LocationClient(self.base_url, self._creds), self._sleep)

    def _area_url(self, area_id: str) -> str:
        """Where the API area lives: the organisation URL on dev.azure.com; the collection on a server."""
        from azure.devops import _file_cache

        location = self.location
        key = location.normalized_url
        areas = _file_cache.RESOURCE_CACHE.get(key)
        if not areas:
            found = sdk_call("reading the resource areas", location.get_resource_areas, self._token) or []
            areas = [{"id": a.id, "name": a.name, "locationUrl": a.location_url} for a in found]
            if areas:  # Azure DevOps Server answers none: every area lives on the collection URL
                _file_cache.RESOURCE_CACHE[key] = areas
        for area in areas:
            if str(area.get("id", "")).lower() == area_id.lower() and area.get("locationUrl"):
                return str(area["locationUrl"])
        return self.base_url

    @cached_property
    def git(self) -> Any:
        from azure.devops.v7_1.git.git_client import GitClient

        return prepare(GitClient(self._area_url(GitClient.resource_area_identifier), self._creds), self._sleep)

    @cached_property
    def security(self) -> Any:
        from azure.devops.v7_1.security.security_client import SecurityClient

        # The security API has no resource area of its own: it lives on the organisation/collection URL.
        return prepare(SecurityClient(self.base_url, self._creds), self._sleep)
