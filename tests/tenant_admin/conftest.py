"""A tenant with a catalog and its admin's credentials, for the tenant-admin API tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.factories.admin import key_headers, login
from tests.factories.world import TenantWorld, add_catalog, make_tenant


@dataclass
class AdminWorld:
    tenant: TenantWorld
    headers: dict[str, str]  # the tenant admin's JWT

    @property
    def key_headers(self) -> dict[str, str]:
        return key_headers(self.tenant)


@pytest.fixture
async def alpha(container, client) -> AdminWorld:
    tenant = await add_catalog(container, await make_tenant(container, "alpha-events"))
    return AdminWorld(tenant=tenant, headers=await login(client, tenant.email))


@pytest.fixture(params=["jwt", "secret-key"])
def credential(request, alpha) -> dict[str, str]:
    """Both ways into the tenant-admin API: the admin's JWT and the secret key."""
    return alpha.headers if request.param == "jwt" else alpha.key_headers
