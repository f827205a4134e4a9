"""`mais seed`: the platform admin, and in development the demo tenant with its catalog.

Idempotent: everything is looked up before it is created, so running it twice changes
nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from mais.audit.service import Actor
from mais.auth.passwords import hash_password
from mais.auth.repository import UserRepository
from mais.catalog.admin_service import CatalogAdminService, PackageDraft
from mais.container import Container
from mais.demo.images import demo_logo, demo_photo
from mais.models import ApiKeyKind, Role, Tenant, User, utcnow
from mais.settings import DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD
from mais.tenants.blackouts import BlackoutService
from mais.tenants.branding import BrandingService
from mais.tenants.context import TenantContext
from mais.tenants.repository import ApiKeyRepository, TenantRepository
from mais.tenants.service import TenantService

SEED_ACTOR = Actor(role="system", label="mais seed")

DEMO_SLUG = "demo-tenant"
DEMO_EMAIL = "demo@maconaisolutions.com"
DEMO_PASSWORD = "demo-tenant-password"  # nosec B105 # noqa: S105 - development demo account, printed

ADD_ONS = {
    "violinist": ("Violinist", 25_000, "A solo violinist for your ceremony and cocktail hour."),
    "champagne": ("Champagne toast", 40_000, "A glass of French champagne for every guest."),
    "arch": ("Floral arch", 85_000, "Seasonal flowers arranged on our wooden ceremony arch."),
    "booth": ("Photo booth", 65_000, "Open-air photo booth with props and printed strips."),
    "snacks": ("Late-night snack bar", 50_000, "Sliders, fries and cookies at 10 pm."),
    "officiant": ("Officiant", 45_000, "A licensed officiant who meets you before the day."),
    "sparklers": ("Sparkler send-off", 15_000, "Long-burn sparklers for your grand exit."),
}

PACKAGES = [
    (
        "garden-ceremony",
        "Garden Ceremony",
        350_000,
        "garden",
        "An afternoon ceremony in our walled rose garden for up to 60 guests. Includes "
        "white garden chairs, a ceremony coordinator and an hour of cocktail reception "
        "under the pergola.",
        ["violinist", "arch", "champagne"],
    ),
    (
        "vineyard-celebration",
        "Vineyard Celebration",
        680_000,
        "vineyard",
        "Ceremony among the vines at golden hour, then dinner and dancing in the barrel "
        "room for up to 120 guests. Includes tables, linens, lighting and a day-of planner.",
        ["champagne", "booth", "snacks"],
    ),
    (
        "intimate-elopement",
        "Intimate Elopement",
        145_000,
        "elopement",
        "Just the two of you (and up to 10 guests) at our lakeside overlook. Includes a "
        "bouquet, a boutonniere and a celebration cake for two.",
        ["officiant", "violinist"],
    ),
    (
        "grand-ballroom",
        "Grand Ballroom Reception",
        1_250_000,
        "ballroom",
        "The full weekend: rehearsal access, ceremony in the chapel and a five-course "
        "reception in the ballroom for up to 250 guests, with a dedicated planning team.",
        ["champagne", "booth", "sparklers"],
    ),
]


@dataclass
class SeedReport:
    admin_email: str
    admin_password: str | None
    demo_public_key: str | None = None
    demo_secret_key: str | None = None
    demo_created: bool = False


async def seed(container: Container, *, demo: bool) -> SeedReport:
    settings = container.settings
    admin_email = settings.admin_email or (None if settings.is_production else DEV_ADMIN_EMAIL)
    admin_password = settings.admin_password or (
        None if settings.is_production else DEV_ADMIN_PASSWORD
    )
    if not admin_email or not admin_password:
        raise SystemExit("ADMIN_EMAIL and ADMIN_PASSWORD are required to seed in production")
    report = SeedReport(
        admin_email=admin_email,
        admin_password=None if settings.admin_password else admin_password,
    )
    async with container.db.transaction() as session:
        users = UserRepository(session)
        if await users.get_by_email(admin_email) is None:
            users.add(
                User(
                    email=admin_email,
                    email_key=admin_email.lower(),
                    password_hash=hash_password(admin_password),
                    role=Role.platform_admin,
                )
            )
    if demo:
        await _seed_demo_tenant(container, report)
    return report


async def _seed_demo_tenant(container: Container, report: SeedReport) -> None:
    async with container.db.transaction() as session:
        existing = await TenantRepository(session).get_by_slug(DEMO_SLUG)
        if existing is not None:
            live = await ApiKeyRepository(session, existing.id).live_keys()
            report.demo_public_key = next(
                (key.lookup for key in live if key.kind == ApiKeyKind.public), None
            )
            return
        created = await TenantService(session, container.resolver).create_tenant(
            SEED_ACTOR,
            slug=DEMO_SLUG,
            name="Maple Grove Weddings",
            email=DEMO_EMAIL,
            password=DEMO_PASSWORD,
            commission_percent="10",
            timezone="America/New_York",
        )
        tenant = created.tenant
        tenant.notification_email = DEMO_EMAIL
        await _brand_demo_tenant(container, session, tenant)
        catalog = CatalogAdminService(
            session, tenant.id, SEED_ACTOR, container.cache, container.storage
        )
        add_on_ids = {}
        for key_name, (title, price, description) in ADD_ONS.items():
            add_on = await catalog.create_add_on(
                title=title, price_cents=price, description=description
            )
            add_on_ids[key_name] = add_on.id
        for order, (slug, title, price, theme, description, extras) in enumerate(PACKAGES):
            package = await catalog.create_package(
                PackageDraft(
                    slug=slug,
                    title=title,
                    price_cents=price,
                    description=description,
                    active=True,
                    sort_order=order,
                    add_on_ids=[add_on_ids[name] for name in extras],
                )
            )
            for n in range(2):
                await catalog.add_photo(package, demo_photo(theme, n))
        today = utcnow().date()
        blackouts = BlackoutService(session, TenantContext.of(tenant), SEED_ACTOR)
        await blackouts.add([today + timedelta(days=45), today + timedelta(days=46)], "Vacation")
        await blackouts.add([today + timedelta(days=90)], "Private event")
        report.demo_public_key = created.keys.public_key
        report.demo_secret_key = created.keys.secret_key
        report.demo_created = True


async def _brand_demo_tenant(container: Container, session: AsyncSession, tenant: Tenant) -> None:
    """A wedding venue's look: warm mauve and antique gold that pass WCAG contrast, a
    serif face, and a drawn emblem as logo."""
    branding = BrandingService(session, container.cache, container.storage, SEED_ACTOR)
    await branding.update(
        tenant,
        {
            "primary_color": "#7A5C58",
            "secondary_color": "#F4ECE6",
            "accent_color": "#8F7350",
            "background_color": "#FFFDFB",
            "font_family": "Palatino",
        },
    )
    await branding.replace_logo(tenant, demo_logo())
