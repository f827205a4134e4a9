"""Public catalog shapes (SPEC §4)."""

from __future__ import annotations

import uuid

from mais.core.schemas import ApiModel


class PhotoOut(ApiModel):
    url: str
    width: int
    height: int


class AddOnOut(ApiModel):
    id: uuid.UUID
    title: str
    description: str
    price_cents: int


class PackageOut(ApiModel):
    id: uuid.UUID
    slug: str
    title: str
    description: str
    price_cents: int
    photo_url: str | None
    photos: list[PhotoOut]
    add_ons: list[AddOnOut]
