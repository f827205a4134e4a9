"""Every catalog query, scoped to one tenant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, exists, func
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.base import ExecutableOption

from mais.core.repository import TenantScopedRepository, parse_uuid, scoped_statement
from mais.models import AddOn, Booking, BookingAddOn, Package, PackageAddOn, PackagePhoto


@dataclass(frozen=True, slots=True)
class OfferedAddOn:
    """An add-on as a package offers it at checkout."""

    id: uuid.UUID
    title: str
    price_cents: int
    available: bool  # active and not archived


@dataclass(frozen=True, slots=True)
class PricedPackage:
    """What checkout prices a booking from: the package and its add-ons in display order."""

    id: uuid.UUID
    title: str
    price_cents: int
    available: bool  # active and not archived
    add_ons: tuple[OfferedAddOn, ...]


def _priced_package(*criteria: Any) -> Select[Any]:
    """A package's price and its add-ons' (built once: checkout's hot path)."""
    return (
        scoped_statement(
            Package,
            Package.id,
            Package.title,
            Package.price_cents,
            Package.active,
            Package.archived_at,
            AddOn.id.label("add_on_id"),
            AddOn.title.label("add_on_title"),
            AddOn.price_cents.label("add_on_price_cents"),
            AddOn.active.label("add_on_active"),
            AddOn.archived_at.label("add_on_archived_at"),
        )
        .where(*criteria)
        # The same joins as the relationships `add_on_links` → `add_on`.
        .outerjoin(PackageAddOn, PackageAddOn.package_id == Package.id)
        .outerjoin(AddOn, AddOn.id == PackageAddOn.add_on_id)
        .order_by(PackageAddOn.sort_order)
    )


_PRICED_BY_ID = _priced_package(Package.id == bindparam("package_id"))
_PRICED_PUBLISHED_BY_SLUG = _priced_package(
    Package.slug == bindparam("slug"), Package.active.is_(True), Package.archived_at.is_(None)
)


def _with_photos_and_add_ons() -> tuple[ExecutableOption, ...]:
    return (
        selectinload(Package.photos),
        selectinload(Package.add_on_links).selectinload(PackageAddOn.add_on),
    )


class PackageRepository(TenantScopedRepository[Package]):
    model = Package
    not_found_message = "Package not found."

    async def list_published(self) -> Sequence[Package]:
        """Active, not archived packages in the tenant's display order."""
        stmt = (
            self.scoped()
            .where(Package.active.is_(True), Package.archived_at.is_(None))
            .order_by(Package.sort_order, Package.title, Package.id)
            .options(*_with_photos_and_add_ons())
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def get_published(self, slug: str) -> Package | None:
        stmt = (
            self.scoped()
            .where(
                Package.slug == slug,
                Package.active.is_(True),
                Package.archived_at.is_(None),
            )
            .options(*_with_photos_and_add_ons())
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def priced(self, ref: str) -> PricedPackage | None:
        """The package with this id (in any state), else the published one with this slug,
        with its add-ons: one query, plain rows (checkout's hot path needs no entities)."""
        parsed = parse_uuid(ref)
        found = None
        if parsed is not None:
            found = await self._priced(_PRICED_BY_ID, {"package_id": parsed})
        if found is None:
            found = await self._priced(_PRICED_PUBLISHED_BY_SLUG, {"slug": ref})
        return found

    async def _priced(self, statement: Select[Any], params: dict[str, Any]) -> PricedPackage | None:
        rows = (await self.execute_scoped(statement, params)).all()
        if not rows:
            return None
        first = rows[0]
        return PricedPackage(
            id=first.id,
            title=first.title,
            price_cents=first.price_cents,
            available=first.active and first.archived_at is None,
            add_ons=tuple(
                OfferedAddOn(
                    id=row.add_on_id,
                    title=row.add_on_title,
                    price_cents=row.add_on_price_cents,
                    available=row.add_on_active and row.add_on_archived_at is None,
                )
                for row in rows
                if row.add_on_id is not None
            ),
        )

    async def slug_taken(self, slug: str, *, except_id: uuid.UUID | None = None) -> bool:
        stmt = self.scoped(Package.id).where(Package.slug == slug)
        if except_id is not None:
            stmt = stmt.where(Package.id != except_id)
        return (await self.session.execute(stmt)).first() is not None

    async def list_for_admin(self) -> Sequence[Package]:
        """Every package the tenant has not deleted, published or not, in display order."""
        stmt = (
            self.scoped()
            .where(Package.archived_at.is_(None))
            .order_by(Package.sort_order, Package.title, Package.id)
            .options(*_with_photos_and_add_ons())
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def get_for_admin(
        self, package_id: str | uuid.UUID, *, lock: bool = False
    ) -> Package | None:
        """A package that is not archived, with photos and add-ons loaded fresh. `lock`
        holds its row until commit (PostgreSQL) so concurrent photo uploads count right."""
        parsed = parse_uuid(package_id)
        if parsed is None:
            return None
        stmt = (
            self.scoped()
            .where(Package.id == parsed, Package.archived_at.is_(None))
            .options(*_with_photos_and_add_ons())
            .execution_options(populate_existing=True)
        )
        if lock:
            stmt = stmt.with_for_update(of=Package)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def live_ids(self) -> list[uuid.UUID]:
        stmt = self.scoped(Package.id).where(Package.archived_at.is_(None))
        return list((await self.session.execute(stmt)).scalars().all())

    async def has_bookings(self, package_id: uuid.UUID) -> bool:
        stmt = self.scoped(Package.id).where(
            Package.id == package_id, exists().where(Booking.package_id == Package.id)
        )
        return (await self.session.execute(stmt)).first() is not None

    async def set_sort_orders(self, ordered_ids: Sequence[uuid.UUID]) -> None:
        for position, package_id in enumerate(ordered_ids):
            await self.session.execute(
                self.scoped_update().where(Package.id == package_id).values(sort_order=position)
            )

    async def delete_by_id(self, package_id: uuid.UUID) -> None:
        """Delete the row; photos and add-on links go with it (ON DELETE CASCADE)."""
        await self.session.execute(
            self.scoped_delete()
            .where(Package.id == package_id)
            .execution_options(synchronize_session=False)
        )

    async def next_sort_order(self) -> int:
        stmt = self.scoped(func.coalesce(func.max(Package.sort_order), -1))
        return int((await self.session.execute(stmt)).scalar_one()) + 1


class AddOnRepository(TenantScopedRepository[AddOn]):
    model = AddOn
    not_found_message = "Add-on not found."

    async def list_all(self) -> Sequence[AddOn]:
        stmt = self.scoped().where(AddOn.archived_at.is_(None)).order_by(AddOn.title, AddOn.id)
        return (await self.session.execute(stmt)).scalars().all()

    async def get_live(self, add_on_id: str | uuid.UUID) -> AddOn | None:
        """An add-on the tenant has not deleted."""
        found = await self.get(add_on_id)
        return found if found is not None and found.archived_at is None else None

    async def has_bookings(self, add_on_id: uuid.UUID) -> bool:
        stmt = self.scoped(AddOn.id).where(
            AddOn.id == add_on_id, exists().where(BookingAddOn.add_on_id == AddOn.id)
        )
        return (await self.session.execute(stmt)).first() is not None

    async def delete_by_id(self, add_on_id: uuid.UUID) -> None:
        """Delete the row; its package links go with it (ON DELETE CASCADE)."""
        await self.session.execute(
            self.scoped_delete()
            .where(AddOn.id == add_on_id)
            .execution_options(synchronize_session=False)
        )


class PhotoRepository(TenantScopedRepository[PackagePhoto]):
    model = PackagePhoto
    not_found_message = "Photo not found."

    async def count_for(self, package_id: uuid.UUID) -> int:
        stmt = self.scoped(func.count(PackagePhoto.id)).where(PackagePhoto.package_id == package_id)
        return int((await self.session.execute(stmt)).scalar_one())

    async def list_for(self, package_id: uuid.UUID) -> Sequence[PackagePhoto]:
        stmt = (
            self.scoped()
            .where(PackagePhoto.package_id == package_id)
            .order_by(PackagePhoto.sort_order, PackagePhoto.created_at)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def next_order(self, package_id: uuid.UUID) -> int:
        stmt = self.scoped(func.coalesce(func.max(PackagePhoto.sort_order), -1)).where(
            PackagePhoto.package_id == package_id
        )
        return int((await self.session.execute(stmt)).scalar_one()) + 1


class PackageAddOnRepository(TenantScopedRepository[PackageAddOn]):
    model = PackageAddOn

    async def replace_for(self, package_id: uuid.UUID, add_on_ids: Sequence[uuid.UUID]) -> None:
        """Make the package offer exactly these add-ons, in this order."""
        await self.session.execute(
            self.scoped_delete().where(PackageAddOn.package_id == package_id)
        )
        for position, add_on_id in enumerate(add_on_ids):
            self.add(PackageAddOn(package_id=package_id, add_on_id=add_on_id, sort_order=position))
        await self.session.flush()

    async def unlink_add_on(self, add_on_id: uuid.UUID) -> None:
        """No package offers this add-on any more."""
        await self.session.execute(
            self.scoped_delete()
            .where(PackageAddOn.add_on_id == add_on_id)
            .execution_options(synchronize_session=False)
        )
