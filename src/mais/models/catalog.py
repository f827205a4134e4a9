"""What a tenant sells: packages, their photos, add-ons and which add-ons go with which package."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mais.models.base import Base, IdMixin, TenantScoped, TimestampMixin


class Package(IdMixin, TimestampMixin, TenantScoped, Base):
    __tablename__ = "packages"
    __table_args__ = (
        UniqueConstraint("tenant_id", "slug"),
        CheckConstraint("price_cents > 0", name="price_positive"),
        # The public catalog: active packages of one tenant in sort order.
        Index("ix_packages_catalog", "tenant_id", "active", "sort_order"),
    )

    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    price_cents: Mapped[int] = mapped_column()
    active: Mapped[bool] = mapped_column(default=False)
    sort_order: Mapped[int] = mapped_column(default=0)
    # Packages that bookings reference are archived instead of deleted.
    archived_at: Mapped[datetime | None] = mapped_column(default=None)

    photos: Mapped[list[PackagePhoto]] = relationship(
        order_by="PackagePhoto.sort_order", lazy="raise", cascade="all, delete-orphan"
    )
    add_on_links: Mapped[list[PackageAddOn]] = relationship(
        order_by="PackageAddOn.sort_order", lazy="raise", cascade="all, delete-orphan"
    )


class PackagePhoto(IdMixin, TenantScoped, Base):
    __tablename__ = "package_photos"
    __table_args__ = (Index("ix_package_photos_package_order", "package_id", "sort_order"),)

    package_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"))
    sort_order: Mapped[int] = mapped_column(default=0)
    # Storage keys of the re-encoded large image and its thumbnail.
    large_key: Mapped[str] = mapped_column(String(500))
    thumb_key: Mapped[str] = mapped_column(String(500))
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    thumb_width: Mapped[int] = mapped_column()
    thumb_height: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column()


class AddOn(IdMixin, TimestampMixin, TenantScoped, Base):
    __tablename__ = "add_ons"
    __table_args__ = (CheckConstraint("price_cents >= 0", name="price_not_negative"),)

    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    price_cents: Mapped[int] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)
    archived_at: Mapped[datetime | None] = mapped_column(default=None)


class PackageAddOn(TenantScoped, Base):
    """The add-ons offered with a package, in display order."""

    __tablename__ = "package_add_ons"
    __table_args__ = (Index("ix_package_add_ons_add_on", "add_on_id"),)

    package_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("packages.id", ondelete="CASCADE"), primary_key=True
    )
    add_on_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("add_ons.id", ondelete="CASCADE"), primary_key=True
    )
    sort_order: Mapped[int] = mapped_column(default=0)

    add_on: Mapped[AddOn] = relationship(lazy="raise")
