"""The public catalog, serialised once and served from the cache.

Cache keys are `catalog:<tenant id>:...` (the runbook's `SCAN 0 MATCH catalog:*` finds
them). Any write that changes what the catalog shows calls `invalidate_catalog`."""

from __future__ import annotations

import uuid

import orjson

from mais.adapters.cache import Cache
from mais.adapters.storage import Storage
from mais.catalog.repository import PackageRepository
from mais.catalog.schemas import AddOnOut, PackageOut, PhotoOut
from mais.core.db import Database
from mais.models import Package

CATALOG_TTL_SECONDS = 600


def catalog_prefix(tenant_id: uuid.UUID) -> str:
    return f"catalog:{tenant_id}:"


def packages_key(tenant_id: uuid.UUID) -> str:
    return f"{catalog_prefix(tenant_id)}packages"


def package_key(tenant_id: uuid.UUID, slug: str) -> str:
    return f"{catalog_prefix(tenant_id)}package:{slug}"


async def invalidate_catalog(cache: Cache, tenant_id: uuid.UUID) -> None:
    """Forget every cached catalog response of the tenant (after the change committed).
    Marking the change first keeps a read that began before the commit from caching
    the old rows (see `Cache.change_token`)."""
    prefix = catalog_prefix(tenant_id)
    await cache.mark_changed(prefix)
    await cache.delete_prefix(prefix)


def package_out(package: Package, storage: Storage) -> PackageOut:
    photos = [
        PhotoOut(url=storage.url(p.large_key), width=p.width, height=p.height)
        for p in package.photos
    ]
    add_ons = [
        AddOnOut(
            id=link.add_on.id,
            title=link.add_on.title,
            description=link.add_on.description,
            price_cents=link.add_on.price_cents,
        )
        for link in package.add_on_links
        if link.add_on.active and link.add_on.archived_at is None
    ]
    return PackageOut(
        id=package.id,
        slug=package.slug,
        title=package.title,
        description=package.description,
        price_cents=package.price_cents,
        photo_url=photos[0].url if photos else None,
        photos=photos,
        add_ons=add_ons,
    )


def _dump(value: object) -> bytes:
    if isinstance(value, list):
        return orjson.dumps([item.model_dump(mode="json", by_alias=True) for item in value])
    assert isinstance(value, PackageOut)
    return orjson.dumps(value.model_dump(mode="json", by_alias=True))


class CatalogService:
    """Reads through the cache; opens a database session only on a miss."""

    def __init__(self, db: Database, cache: Cache, storage: Storage, tenant_id: uuid.UUID) -> None:
        self.db = db
        self.cache = cache
        self.storage = storage
        self.tenant_id = tenant_id

    async def packages_json(self) -> bytes:
        key = packages_key(self.tenant_id)
        cached = await self.cache.get(key)
        if cached is not None:
            return cached
        token = await self.cache.change_token(catalog_prefix(self.tenant_id))
        async with self.db.sessionmaker() as session:
            packages = await PackageRepository(session, self.tenant_id).list_published()
            body = _dump([package_out(p, self.storage) for p in packages])
        await self.cache.set_if_unchanged(
            key, body, CATALOG_TTL_SECONDS, name=catalog_prefix(self.tenant_id), token=token
        )
        return body

    async def package_json(self, slug: str) -> bytes | None:
        key = package_key(self.tenant_id, slug)
        cached = await self.cache.get(key)
        if cached is not None:
            return cached
        token = await self.cache.change_token(catalog_prefix(self.tenant_id))
        async with self.db.sessionmaker() as session:
            package = await PackageRepository(session, self.tenant_id).get_published(slug)
            if package is None:
                return None
            body = _dump(package_out(package, self.storage))
        await self.cache.set_if_unchanged(
            key, body, CATALOG_TTL_SECONDS, name=catalog_prefix(self.tenant_id), token=token
        )
        return body
