"""TenantScopedRepository: one tenant's repository cannot see or touch another's rows."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mais.catalog.repository import PackageRepository
from mais.core.errors import NotFound
from mais.models import Package
from tests.factories.world import add_catalog, make_tenant


@pytest.fixture
async def two_tenants(container):
    alpha = await add_catalog(container, await make_tenant(container, "alpha-co"))
    beta = await add_catalog(container, await make_tenant(container, "beta-co"))
    return alpha, beta


async def test_another_tenants_row_is_not_found(container, two_tenants):
    alpha, beta = two_tenants
    beta_package = beta.packages["garden"]
    async with container.db.sessionmaker() as session:
        repository = PackageRepository(session, alpha.id)
        assert await repository.get(beta_package.id) is None
        assert await repository.get(str(beta_package.id)) is None
        assert await repository.get("not-a-uuid") is None
        with pytest.raises(NotFound):
            await repository.get_or_404(beta_package.id)
        assert (await repository.get(alpha.packages["garden"].id)) is not None


async def test_scoped_writes_leave_other_tenants_rows_alone(container, two_tenants):
    alpha, beta = two_tenants
    async with container.db.transaction() as session:
        repository = PackageRepository(session, alpha.id)
        await session.execute(
            repository.scoped_update()
            .where(Package.id.in_([beta.packages["garden"].id, alpha.packages["garden"].id]))
            .values(title="Renamed")
        )
        await session.execute(
            repository.scoped_delete().where(Package.id == beta.packages["garden"].id)
        )
    async with container.db.sessionmaker() as session:
        titles = dict((await session.execute(select(Package.tenant_id, Package.title))).all())
    assert titles == {alpha.id: "Renamed", beta.id: "Garden Ceremony"}


async def test_add_assigns_the_repositorys_tenant_and_remove_refuses_foreign_rows(
    container, two_tenants
):
    alpha, beta = two_tenants
    async with container.db.transaction() as session:
        repository = PackageRepository(session, alpha.id)
        smuggled = Package(
            tenant_id=beta.id, slug="x", title="X", price_cents=1, active=True, sort_order=9
        )
        repository.add(smuggled)
        assert smuggled.tenant_id == alpha.id
        foreign = await session.get(Package, beta.packages["garden"].id)
        with pytest.raises(NotFound):
            await repository.remove(foreign)
