"""A tenant's branding: the one stored copy the widget, e-mails and the API all read."""

from __future__ import annotations

import uuid

import orjson

from mais.adapters.storage import Storage
from mais.catalog.service import CATALOG_TTL_SECONDS, catalog_prefix
from mais.container import Container
from mais.core.schemas import ApiModel
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
