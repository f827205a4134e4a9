"""TenantScopedRepository: one tenant's repository cannot see or touch another's rows."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from mais.availability.repository import BlackoutRepository
from mais.catalog.repository import PackageRepository
from mais.core.changes import BOOKINGS, token_name
from mais.core.errors import NotFound
from mais.models import BlackoutDate, Package, utcnow
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


async def test_insert_writes_the_row_the_unit_of_work_would(container, two_tenants):
    alpha, beta = two_tenants
    async with container.db.transaction() as session:
        repository = PackageRepository(session, alpha.id)
        inserted = Package(tenant_id=beta.id, slug="inserted", title="Plain", price_cents=100)
        flushed = Package(slug="flushed", title="Plain", price_cents=100)
        await repository.insert(inserted)
        repository.add(flushed)
        await session.flush()
        assert inserted not in session  # written, not tracked
    assert inserted.tenant_id == alpha.id  # the repository's tenant, whatever was set
    async with container.db.sessionmaker() as session:
        found = (
            await session.execute(select(Package).where(Package.slug.in_(["inserted", "flushed"])))
        ).scalars()
        rows = {package.slug: package for package in found}
    differing = {"id", "slug", "created_at", "updated_at"}
    for column in Package.__table__.columns:
        if column.key not in differing:
            assert getattr(rows["inserted"], column.key) == getattr(rows["flushed"], column.key)
    # The defaults it was written with are set on the object, as a flush sets them.
    assert rows["inserted"].id == inserted.id
    assert rows["inserted"].created_at == inserted.created_at
    assert (inserted.description, inserted.active, inserted.sort_order) == ("", False, 0)


async def test_insert_announces_a_tracked_tables_change(container, two_tenants):
    alpha, _ = two_tenants
    token = token_name(BOOKINGS, alpha.id)
    before = await container.cache.change_token(token)
    async with container.db.transaction() as session:
        await BlackoutRepository(session, alpha.id).insert(
            BlackoutDate(date=date(2031, 5, 1), created_at=utcnow())
        )
    assert await container.cache.change_token(token) != before
