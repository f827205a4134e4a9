"""A tenant's branding: the one stored copy the widget, e-mails and the API all read,
and the service that changes it (colours, font, logo)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from mais.adapters.cache import Cache
from mais.adapters.storage import Storage
from mais.audit.service import Actor, record
from mais.catalog.images import process_logo
from mais.catalog.service import CATALOG_TTL_SECONDS, catalog_prefix, invalidate_catalog
from mais.container import Container
from mais.core.db import after_commit, after_rollback
from mais.core.errors import ValidationFailed
from mais.core.schemas import ApiModel
from mais.core.validation import is_https_url
from mais.models import Tenant
from mais.tenants.repository import TenantRepository

# The fixed list of fonts a tenant may choose (system and widely available faces only:
# the widget downloads no web fonts).
FONT_CHOICES: dict[str, str] = {
    "Georgia": "Georgia, 'Times New Roman', serif",
    "Palatino": "'Palatino Linotype', Palatino, 'Book Antiqua', serif",
    "Garamond": "Garamond, 'EB Garamond', Baskerville, serif",
    "Baskerville": "Baskerville, 'Baskerville Old Face', Garamond, serif",
    "Helvetica": "'Helvetica Neue', Helvetica, Arial, sans-serif",
    "Inter": "Inter, system-ui, -apple-system, 'Segoe UI', sans-serif",
    "System": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    "Trebuchet": "'Trebuchet MS', 'Lucida Grande', sans-serif",
    "Verdana": "Verdana, Geneva, sans-serif",
    "Courier": "'Courier New', Courier, monospace",
}


class BrandingOut(ApiModel):
    name: str
    primary_color: str
    secondary_color: str
    accent_color: str
    background_color: str
    font_family: str
    logo_url: str | None


def logo_url_of(tenant: Tenant, storage: Storage) -> str | None:
    if tenant.logo_key:
        return storage.url(tenant.logo_key)
    return tenant.logo_url


def branding_of(tenant: Tenant, storage: Storage) -> BrandingOut:
    return BrandingOut(
        name=tenant.name,
        primary_color=tenant.primary_color,
        secondary_color=tenant.secondary_color,
        accent_color=tenant.accent_color,
        background_color=tenant.background_color,
        font_family=tenant.font_family,
        logo_url=logo_url_of(tenant, storage),
    )


def branding_key(tenant_id: uuid.UUID) -> str:
    return f"{catalog_prefix(tenant_id)}branding"


async def branding_json(container: Container, tenant_id: uuid.UUID) -> bytes:
    key = branding_key(tenant_id)
    cached = await container.cache.get(key)
    if cached is not None:
        return cached
    token = await container.cache.change_token(catalog_prefix(tenant_id))
    async with container.db.sessionmaker() as session:
        tenant = await TenantRepository(session).get(tenant_id)
        assert tenant is not None, "resolved tenants exist"
        body = orjson.dumps(branding_of(tenant, container.storage).model_dump(by_alias=True))
    await container.cache.set_if_unchanged(
        key, body, CATALOG_TTL_SECONDS, name=catalog_prefix(tenant_id), token=token
    )
    return body


BRANDING_FIELDS = ("primary_color", "secondary_color", "accent_color", "background_color")


def branding_state(tenant: Tenant) -> dict[str, Any]:
    return {
        "primaryColor": tenant.primary_color,
        "secondaryColor": tenant.secondary_color,
        "accentColor": tenant.accent_color,
        "backgroundColor": tenant.background_color,
        "fontFamily": tenant.font_family,
        "logoKey": tenant.logo_key,
        "logoUrl": tenant.logo_url,
    }


class BrandingService:
    """Changes to the one stored branding; the widget's cached copy is dropped on commit."""

    def __init__(self, session: AsyncSession, cache: Cache, storage: Storage, actor: Actor) -> None:
        self.session = session
        self.cache = cache
        self.storage = storage
        self.actor = actor

    async def update(self, tenant: Tenant, changes: dict[str, Any]) -> Tenant:
        """Apply colours, font and `logo_url` (python names). Sending back the current logo
        URL keeps an uploaded logo; null removes the logo; another https URL replaces it."""
        before = branding_state(tenant)
        if "font_family" in changes:
            if changes["font_family"] not in FONT_CHOICES:
                raise ValidationFailed(
                    "fontFamily must be one of the offered fonts.",
                    details=[{"field": "fontFamily", "issue": f"one of {sorted(FONT_CHOICES)}"}],
                )
            tenant.font_family = changes["font_family"]
        for name in BRANDING_FIELDS:
            if name in changes:
                setattr(tenant, name, changes[name])
        new_logo = changes.get("logo_url")
        if "logo_url" in changes and new_logo != logo_url_of(tenant, self.storage):
            if new_logo is not None and not is_https_url(new_logo):
                raise ValidationFailed(
                    "logoUrl must be an https:// URL.",
                    details=[{"field": "logoUrl", "issue": "must be an https:// URL"}],
                )
            self._forget_uploaded_logo(tenant)
            tenant.logo_url = new_logo
        self._changed(tenant, before)
        await self.session.flush()
        return tenant

    async def replace_logo(self, tenant: Tenant, data: bytes) -> Tenant:
        """Store an uploaded logo (decoded, re-encoded, metadata stripped)."""
        rendition = await asyncio.to_thread(process_logo, data)
        before = branding_state(tenant)
        key = f"tenants/{tenant.id}/logo/{uuid.uuid4()}.{rendition.extension}"
        storage = self.storage
        after_rollback(self.session, lambda: storage.delete_quietly([key]))
        await storage.put(key, rendition.data, rendition.content_type)
        self._forget_uploaded_logo(tenant)
        tenant.logo_key = key
        tenant.logo_url = None
        self._changed(tenant, before)
        await self.session.flush()
        return tenant

    def _forget_uploaded_logo(self, tenant: Tenant) -> None:
        if tenant.logo_key:
            old_key, storage = tenant.logo_key, self.storage
            after_commit(self.session, lambda: storage.delete_quietly([old_key]))
            tenant.logo_key = None

    def _changed(self, tenant: Tenant, before: dict[str, Any]) -> None:
        after = branding_state(tenant)
        if after == before:
            return
        record(
            self.session,
            self.actor,
            "tenant.branding_updated",
            "tenant",
            tenant.id,
            tenant_id=tenant.id,
            before=before,
            after=after,
        )
        tenant_id, cache = tenant.id, self.cache

        async def _invalidate() -> None:
            await invalidate_catalog(cache, tenant_id)  # the branding key lives there too

        after_commit(self.session, _invalidate)
