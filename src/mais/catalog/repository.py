"""Every catalog query, scoped to one tenant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.base import ExecutableOption

from mais.core.repository import TenantScopedRepository
from mais.models import AddOn, Package, PackageAddOn, PackagePhoto


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

    async def slug_taken(self, slug: str) -> bool:
        stmt = self.scoped(Package.id).where(Package.slug == slug)
        return (await self.session.execute(stmt)).first() is not None

    async def next_sort_order(self) -> int:
        stmt = self.scoped(func.coalesce(func.max(Package.sort_order), -1))
        return int((await self.session.execute(stmt)).scalar_one()) + 1


class AddOnRepository(TenantScopedRepository[AddOn]):
    model = AddOn
    not_found_message = "Add-on not found."

    async def list_all(self) -> Sequence[AddOn]:
        stmt = self.scoped().where(AddOn.archived_at.is_(None)).order_by(AddOn.title, AddOn.id)
        return (await self.session.execute(stmt)).scalars().all()


class PhotoRepository(TenantScopedRepository[PackagePhoto]):
    model = PackagePhoto
    not_found_message = "Photo not found."

    async def count_for(self, package_id: uuid.UUID) -> int:
        stmt = self.scoped(func.count(PackagePhoto.id)).where(PackagePhoto.package_id == package_id)
        return int((await self.session.execute(stmt)).scalar_one())

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
