"""Creates benchmark tenants with realistic catalogs through MAIS's own services.

    python bench/seed_data.py <tenants> <packages per tenant>

Reads the same environment as the server; prints, as the last line, a JSON list of the
tenants: slug, id, public and secret keys, and their package ids in sort order."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable

from mais.audit.service import Actor
from mais.catalog.admin_service import CatalogAdminService, PackageDraft
from mais.container import build_container
from mais.demo.images import demo_photo
from mais.settings import load_settings
from mais.tenants import service as tenant_service
from mais.tenants.service import TenantService

ACTOR = Actor(role="system", label="bench seed")
THEMES = ["garden", "vineyard", "elopement", "ballroom", "beach"]


def _hash_once(hash_password: Callable[[str], str]) -> Callable[[str], str]:
    """Every bench tenant's owner gets the first one's password hash: argon2 costs a good
    part of a second per tenant, hours at 10,000 tenants, and no bench logs in as them."""
    first: list[str] = []

    def hashed(password: str) -> str:
        if not first:
            first.append(hash_password(password))
        return first[0]

    return hashed


async def main(tenants: int, packages: int) -> None:
    # The server starts on an empty cache (the harness flushes Redis), so seeding needs no
    # shared cache: invalidating a catalog in Redis SCANs the keyspace, which made each of
    # 10,000 tenants slower than the one before.
    container = build_container(load_settings(redis_url=None))
    tenant_service.hash_password = _hash_once(tenant_service.hash_password)  # type: ignore[attr-defined]
    created_tenants: list[dict[str, object]] = []
    photo = demo_photo("garden", 0)
    try:
        for n in range(tenants):
            async with container.db.transaction() as session:
                created = await TenantService(session, container.resolver).create_tenant(
                    ACTOR,
                    slug=f"bench-{n:05d}",
                    name=f"Bench Venue {n}",
                    email=f"owner{n}@bench.example.com",
                    password="bench-password-123" if n == 0 else None,
                )
                catalog = CatalogAdminService(
                    session, created.tenant.id, ACTOR, container.cache, container.storage
                )
                add_ons = [
                    await catalog.create_add_on(title=f"Extra {i}", price_cents=5_000 * (i + 1),
                                                description="Something lovely for the day.")
                    for i in range(3)
                ]  # fmt: skip
                package_ids = []
                for p in range(packages):
                    package = await catalog.create_package(
                        PackageDraft(
                            title=f"{THEMES[p % 5].title()} package {p}",
                            price_cents=150_000 + 25_000 * p,
                            description="Ceremony and reception with everything included. " * 3,
                            active=True,
                            sort_order=p,
                            add_on_ids=[a.id for a in add_ons],
                        )
                    )
                    package_ids.append(str(package.id))
                    if n == 0 and p < 5:
                        await catalog.add_photo(package, photo)
                created_tenants.append(
                    {
                        "slug": created.tenant.slug,
                        "id": str(created.tenant.id),
                        "public_key": created.keys.public_key,
                        "secret_key": created.keys.secret_key,
                        "package_ids": package_ids,
                    }
                )
    finally:
        await container.close()
    print(json.dumps(created_tenants))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
