"""Tenant-side catalog changes: packages, add-ons, links and photos.

Every change records an audit entry and invalidates the tenant's cached catalog once the
transaction commits, so the widget shows the change on its next request."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from mais.adapters.cache import Cache
from mais.adapters.storage import Storage
from mais.audit.service import Actor, record
from mais.catalog.images import process_photo
from mais.catalog.repository import (
    AddOnRepository,
    PackageAddOnRepository,
    PackageRepository,
    PhotoRepository,
)
from mais.catalog.service import invalidate_catalog
from mais.core.db import after_commit
from mais.core.errors import Conflict, ValidationFailed
from mais.models import AddOn, Package, PackagePhoto, utcnow
from mais.tenants.slugs import slugify

MAX_PHOTOS_PER_PACKAGE = 5


class PhotoLimitReached(Conflict):
    code = "PHOTO_LIMIT_REACHED"
    message = f"A package can have at most {MAX_PHOTOS_PER_PACKAGE} photos."


class PackageSlugTaken(Conflict):
    code = "PACKAGE_SLUG_TAKEN"
    message = "Another package already uses this slug."


@dataclass
class PackageDraft:
    title: str
    price_cents: int
    description: str = ""
    slug: str | None = None
    active: bool = False
    sort_order: int | None = None
    add_on_ids: Sequence[uuid.UUID | str] | None = None


class CatalogAdminService:
    def __init__(
        self,
        session: AsyncSession,
        tenant_id: uuid.UUID,
        actor: Actor,
        cache: Cache,
        storage: Storage,
    ) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self.actor = actor
        self.cache = cache
        self.storage = storage
        self.packages = PackageRepository(session, tenant_id)
        self.add_ons = AddOnRepository(session, tenant_id)
        self.photos = PhotoRepository(session, tenant_id)
        self.links = PackageAddOnRepository(session, tenant_id)

    def _catalog_changed(self) -> None:
        tenant_id, cache = self.tenant_id, self.cache

        async def _invalidate() -> None:
            await invalidate_catalog(cache, tenant_id)

        after_commit(self.session, _invalidate)

    def _audit(self, action: str, entity: str, entity_id: object, **states: object) -> None:
        record(
            self.session,
            self.actor,
            action,
            entity,
            entity_id,
            tenant_id=self.tenant_id,
            before=states.get("before"),  # type: ignore[arg-type]
            after=states.get("after"),  # type: ignore[arg-type]
        )

    # --- packages ---------------------------------------------------------------

    async def create_package(self, draft: PackageDraft) -> Package:
        _check_price(draft.price_cents, minimum=1)
        slug = slugify(draft.slug or draft.title)
        if await self.packages.slug_taken(slug):
            if draft.slug:
                raise PackageSlugTaken()
            slug = await self._free_slug(slug)
        sort_order = draft.sort_order
        if sort_order is None:
            sort_order = await self.packages.next_sort_order()
        package = self.packages.add(
            Package(
                slug=slug,
                title=draft.title.strip(),
                description=draft.description,
                price_cents=draft.price_cents,
                active=draft.active,
                sort_order=sort_order,
            )
        )
        await self.session.flush()
        if draft.add_on_ids:
            await self.set_add_ons(package, draft.add_on_ids)
        self._audit("package.created", "package", package.id, after=package_state(package))
        self._catalog_changed()
        return package

    async def _free_slug(self, base: str) -> str:
        for n in range(2, 1000):
            candidate = f"{base}-{n}"
            if not await self.packages.slug_taken(candidate):
                return candidate
        return f"{base}-{uuid.uuid4().hex[:8]}"

    async def set_add_ons(self, package: Package, add_on_ids: Sequence[uuid.UUID | str]) -> None:
        """Offer exactly these add-ons with the package, in this order."""
        wanted: list[AddOn] = []
        for raw in add_on_ids:
            add_on = await self.add_ons.get(raw)
            if add_on is None or add_on.archived_at is not None:
                raise ValidationFailed(
                    "Unknown add-on.", details=[{"field": "addOnIds", "value": str(raw)}]
                )
            if add_on not in wanted:
                wanted.append(add_on)
        await self.links.replace_for(package.id, [add_on.id for add_on in wanted])
        self._catalog_changed()

    # --- add-ons ----------------------------------------------------------------

    async def create_add_on(
        self, *, title: str, price_cents: int, description: str = "", active: bool = True
    ) -> AddOn:
        _check_price(price_cents, minimum=0)
        add_on = self.add_ons.add(
            AddOn(
                title=title.strip(), description=description, price_cents=price_cents, active=active
            )
        )
        await self.session.flush()
        self._audit("add_on.created", "add_on", add_on.id, after=add_on_state(add_on))
        self._catalog_changed()
        return add_on

    # --- photos -----------------------------------------------------------------

    async def add_photo(self, package: Package, data: bytes) -> PackagePhoto:
        count = await self.photos.count_for(package.id)
        if count >= MAX_PHOTOS_PER_PACKAGE:
            raise PhotoLimitReached()
        processed = process_photo(data)
        photo_id = uuid.uuid4()
        base = f"tenants/{self.tenant_id}/packages/{package.id}/{photo_id}"
        large_key = f"{base}-large.{processed.large.extension}"
        thumb_key = f"{base}-thumb.{processed.thumb.extension}"
        await self.storage.put(large_key, processed.large.data, processed.large.content_type)
        await self.storage.put(thumb_key, processed.thumb.data, processed.thumb.content_type)
        photo = self.photos.add(
            PackagePhoto(
                id=photo_id,
                package_id=package.id,
                sort_order=await self.photos.next_order(package.id),
                large_key=large_key,
                thumb_key=thumb_key,
                width=processed.large.width,
                height=processed.large.height,
                thumb_width=processed.thumb.width,
                thumb_height=processed.thumb.height,
                created_at=utcnow(),
            )
        )
        await self.session.flush()
        self._audit(
            "package.photo_added",
            "package",
            package.id,
            after={"photoId": str(photo.id), "width": photo.width, "height": photo.height},
        )
        self._catalog_changed()
        return photo


def _check_price(price_cents: int, *, minimum: int) -> None:
    if not isinstance(price_cents, int) or isinstance(price_cents, bool) or price_cents < minimum:
        word = "positive" if minimum else "zero or more"
        raise ValidationFailed(
            f"priceCents must be a whole number of cents, {word}.",
            details=[{"field": "priceCents"}],
        )
    if price_cents > 100_000_000:
        raise ValidationFailed("priceCents is too large.", details=[{"field": "priceCents"}])


def package_state(package: Package) -> dict[str, object]:
    return {
        "slug": package.slug,
        "title": package.title,
        "priceCents": package.price_cents,
        "active": package.active,
        "sortOrder": package.sort_order,
    }


def add_on_state(add_on: AddOn) -> dict[str, object]:
    return {"title": add_on.title, "priceCents": add_on.price_cents, "active": add_on.active}
