"""Tenant-side catalog changes: packages, add-ons, links and photos (create, edit, reorder,
delete or archive).

Every change records an audit entry and invalidates the tenant's cached catalog once the
transaction commits, so the widget shows the change on its next request."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
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
from mais.core.db import after_commit, after_rollback
from mais.core.errors import Conflict, NotFound, ValidationFailed
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
        await self._flush_package()
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
            add_on = await self.add_ons.get_live(raw)
            if add_on is None:
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

    async def get_package(self, package_id: str | uuid.UUID, *, lock: bool = False) -> Package:
        """A package the tenant has not deleted (archived counts as deleted), or 404."""
        package = await self.packages.get_for_admin(package_id, lock=lock)
        if package is None:
            raise NotFound(self.packages.not_found_message)
        return package

    async def list_packages(self) -> Sequence[Package]:
        return await self.packages.list_for_admin()

    async def update_package(self, package: Package, changes: dict[str, Any]) -> Package:
        """Apply a partial update (python field names of `PackageDraft`)."""
        before = package_state(package)
        if "price_cents" in changes:
            _check_price(changes["price_cents"], minimum=1)
            package.price_cents = changes["price_cents"]
        if "slug" in changes and changes["slug"] != package.slug:
            slug = slugify(changes["slug"])
            if await self.packages.slug_taken(slug, except_id=package.id):
                raise PackageSlugTaken()
            package.slug = slug
        if "title" in changes:
            package.title = changes["title"].strip()
        for name in ("description", "active", "sort_order"):
            if name in changes:
                setattr(package, name, changes[name])
        await self._flush_package()
        if "add_on_ids" in changes:
            await self.set_add_ons(package, changes["add_on_ids"])
        after = package_state(package)
        if "add_on_ids" in changes:
            after["addOnIds"] = [str(i) for i in changes["add_on_ids"]]
        if after != before:
            self._audit("package.updated", "package", package.id, before=before, after=after)
        self._catalog_changed()
        return await self.get_package(package.id)

    async def delete_package(self, package: Package) -> str:
        """Delete, or archive when bookings reference it (their history keeps pointing at
        it). Returns "deleted" or "archived". Stored photos go once the change commits."""
        photo_keys = [key for photo in package.photos for key in (photo.large_key, photo.thumb_key)]
        before = package_state(package)
        if await self.packages.has_bookings(package.id):
            outcome = "archived"
            package.archived_at = utcnow()
            package.active = False
            # Free the slug so the tenant can reuse it; bookings keep the title snapshot.
            package.slug = f"{package.slug[:60]}--archived-{uuid.uuid4().hex[:8]}"
            for photo in list(package.photos):
                await self.photos.remove(photo)
            await self.links.replace_for(package.id, [])
        else:
            outcome = "deleted"
            await self.packages.delete_by_id(package.id)
            self.session.expunge(package)
        await self.session.flush()
        self._audit(f"package.{outcome}", "package", package.id, before=before)
        self._catalog_changed()
        storage = self.storage
        after_commit(self.session, lambda: storage.delete_quietly(photo_keys))
        return outcome

    async def reorder_packages(self, ordered_ids: Sequence[uuid.UUID]) -> Sequence[Package]:
        """Display order = the given order, which must name every package exactly once."""
        current = await self.packages.live_ids()
        _check_same_ids(ordered_ids, current, "ids", "package")
        await self.packages.set_sort_orders(ordered_ids)
        self._audit(
            "package.reordered",
            "tenant",
            self.tenant_id,
            after={"ids": [str(i) for i in ordered_ids]},
        )
        self._catalog_changed()
        return await self.packages.list_for_admin()

    async def _flush_package(self) -> None:
        try:
            await self.session.flush()
        except IntegrityError as exc:  # a concurrent request took the slug
            raise PackageSlugTaken() from exc

    # --- add-ons (continued) ----------------------------------------------------------

    async def get_add_on(self, add_on_id: str | uuid.UUID) -> AddOn:
        add_on = await self.add_ons.get_live(add_on_id)
        if add_on is None:
            raise NotFound(self.add_ons.not_found_message)
        return add_on

    async def list_add_ons(self) -> Sequence[AddOn]:
        return await self.add_ons.list_all()

    async def update_add_on(self, add_on: AddOn, changes: dict[str, Any]) -> AddOn:
        before = add_on_state(add_on)
        if "price_cents" in changes:
            _check_price(changes["price_cents"], minimum=0)
            add_on.price_cents = changes["price_cents"]
        if "title" in changes:
            add_on.title = changes["title"].strip()
        for name in ("description", "active"):
            if name in changes:
                setattr(add_on, name, changes[name])
        await self.session.flush()
        after = add_on_state(add_on)
        if after != before:
            self._audit("add_on.updated", "add_on", add_on.id, before=before, after=after)
        self._catalog_changed()
        return add_on

    async def delete_add_on(self, add_on: AddOn) -> str:
        """Delete, or archive when bookings reference it; no package offers it afterwards."""
        before = add_on_state(add_on)
        if await self.add_ons.has_bookings(add_on.id):
            outcome = "archived"
            add_on.archived_at = utcnow()
            add_on.active = False
            await self.links.unlink_add_on(add_on.id)
        else:
            outcome = "deleted"
            await self.add_ons.delete_by_id(add_on.id)
            self.session.expunge(add_on)
        await self.session.flush()
        self._audit(f"add_on.{outcome}", "add_on", add_on.id, before=before)
        self._catalog_changed()
        return outcome

    # --- photos -----------------------------------------------------------------

    async def add_photo(self, package: Package, data: bytes) -> PackagePhoto:
        """Decode, re-encode (large + thumbnail) and store a photo. Callers pass a package
        loaded with `lock=True` so two concurrent uploads cannot both be the fifth."""
        count = await self.photos.count_for(package.id)
        if count >= MAX_PHOTOS_PER_PACKAGE:
            raise PhotoLimitReached()
        # Decoding and resizing take CPU time: keep them off the event loop.
        processed = await asyncio.to_thread(process_photo, data)
        photo_id = uuid.uuid4()
        base = f"tenants/{self.tenant_id}/packages/{package.id}/{photo_id}"
        large_key = f"{base}-large.{processed.large.extension}"
        thumb_key = f"{base}-thumb.{processed.thumb.extension}"
        storage = self.storage
        after_rollback(self.session, lambda: storage.delete_quietly([large_key, thumb_key]))
        await storage.put(large_key, processed.large.data, processed.large.content_type)
        await storage.put(thumb_key, processed.thumb.data, processed.thumb.content_type)
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

    async def delete_photo(self, package: Package, photo_id: str | uuid.UUID) -> None:
        photo = await self._photo_of(package, photo_id)
        keys = [photo.large_key, photo.thumb_key]
        await self.photos.remove(photo)
        await self.session.flush()
        remaining = [p.id for p in await self.photos.list_for(package.id)]
        await self._renumber_photos(remaining)
        self._audit(
            "package.photo_deleted", "package", package.id, before={"photoId": str(photo.id)}
        )
        self._catalog_changed()
        storage = self.storage
        after_commit(self.session, lambda: storage.delete_quietly(keys))

    async def reorder_photos(
        self, package: Package, ordered_ids: Sequence[uuid.UUID]
    ) -> Sequence[PackagePhoto]:
        current = [photo.id for photo in await self.photos.list_for(package.id)]
        _check_same_ids(ordered_ids, current, "ids", "photo")
        await self._renumber_photos(ordered_ids)
        self._audit(
            "package.photos_reordered",
            "package",
            package.id,
            after={"ids": [str(i) for i in ordered_ids]},
        )
        self._catalog_changed()
        return await self.photos.list_for(package.id)

    async def _photo_of(self, package: Package, photo_id: str | uuid.UUID) -> PackagePhoto:
        photo = await self.photos.get(photo_id)
        if photo is None or photo.package_id != package.id:
            raise NotFound(self.photos.not_found_message)
        return photo

    async def _renumber_photos(self, ordered_ids: Sequence[uuid.UUID]) -> None:
        for position, photo_id in enumerate(ordered_ids):
            photo = await self.photos.get(photo_id)
            if photo is not None:
                photo.sort_order = position
        await self.session.flush()


def _check_same_ids(
    given: Sequence[uuid.UUID], current: Sequence[uuid.UUID], field: str, noun: str
) -> None:
    """A reorder must list every current id exactly once, and nothing else."""
    unknown = [str(i) for i in given if i not in set(current)]
    duplicates = sorted({str(i) for i in given if list(given).count(i) > 1})
    missing = [str(i) for i in current if i not in set(given)]
    if unknown or duplicates or missing:
        details = (
            [{"field": field, "issue": f"unknown {noun} id", "value": v} for v in unknown]
            + [{"field": field, "issue": "listed twice", "value": v} for v in duplicates]
            + [
                {"field": field, "issue": f"{noun} missing from the order", "value": v}
                for v in missing
            ]
        )
        raise ValidationFailed(f"{field} must list every {noun} exactly once.", details=details)


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
