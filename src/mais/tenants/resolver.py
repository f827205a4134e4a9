"""Resolves `X-Tenant-Key` (and widget slugs) to a `TenantContext` without a database
query per request.

Two levels: a per-process table with a 2-second lifetime, then the shared cache (Redis)
with a longer one, then the database. Writes that change a tenant call `invalidate`
after their commit: it clears this process's table and the shared entries at once (and
marks them changed, so a process that read the old row just before the commit cannot
write it back); other processes drop their own table entries within the local lifetime, so a
rotated or suspended key stops working within seconds everywhere.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Sequence

from mais.adapters.cache import Cache
from mais.core.db import Database
from mais.core.errors import Forbidden, Unauthorized
from mais.tenants.context import TenantContext
from mais.tenants.keys import KeyShape, lookup_of, shape_of
from mais.tenants.repository import ApiKeyRepository, TenantRepository

LOCAL_TTL_SECONDS = 2.0
SHARED_TTL_SECONDS = 300
_MISSING = b"-"


class TenantKeyRequired(Unauthorized):
    code = "TENANT_KEY_REQUIRED"
    message = "The X-Tenant-Key header is required."


class InvalidTenantKey(Unauthorized):
    code = "INVALID_TENANT_KEY"
    message = "The tenant key is malformed."


class TenantNotFound(Unauthorized):
    code = "TENANT_NOT_FOUND"
    message = "No tenant has this key."


class TenantInactive(Forbidden):
    code = "TENANT_INACTIVE"
    message = "This tenant is not active."


def key_ref(lookup: str) -> str:
    return f"tenant:key:{lookup}"


def slug_ref(slug: str) -> str:
    return f"tenant:slug:{slug}"


class TenantResolver:
    def __init__(
        self,
        db: Database,
        hmac_key: bytes,
        *,
        previous_hmac_keys: Sequence[bytes] = (),
        shared: Cache | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.hmac_key = hmac_key
        # Secret keys hashed before an encryption-key rotation; re-hashed on first use.
        self.previous_hmac_keys = list(previous_hmac_keys)
        # Only a cache shared by every process (Redis) is worth a round trip; without one
        # the per-process table below is the whole cache.
        self.shared = shared
        self.clock = clock
        self._local: dict[str, tuple[float, TenantContext | None]] = {}
        # Bumped by every invalidation: a load that started before one is not kept locally.
        self._generation = 0

    async def resolve_key(self, raw: str | None, *, public_only: bool = False) -> TenantContext:
        """The active tenant owning this public or secret key, or the SPEC §4 error.
        `public_only`: the public API, called from browsers, refuses a secret key (one sent
        there is already exposed)."""
        if not raw:
            raise TenantKeyRequired()
        shape = shape_of(raw)
        if shape is KeyShape.malformed:
            raise InvalidTenantKey()
        if public_only and shape is KeyShape.secret:
            raise InvalidTenantKey(
                "X-Tenant-Key takes the tenant's public key (pk_live_...); "
                "never send the secret key from a browser."
            )
        lookup = lookup_of(raw, self.hmac_key)
        context = await self._resolve(key_ref(lookup), lookup=lookup)
        if context is None and shape is KeyShape.secret:
            context = await self._resolve_with_previous_keys(raw, lookup)
        if context is None:
            raise TenantNotFound()
        if not context.is_active:
            raise TenantInactive()
        return context

    async def _resolve_with_previous_keys(self, raw: str, lookup: str) -> TenantContext | None:
        """A secret key stored under a former encryption key's HMAC: found, it is stored
        again under the current one, so it keeps working once the old key is dropped."""
        for previous in self.previous_hmac_keys:
            old_lookup = lookup_of(raw, previous)
            context = await self._resolve(key_ref(old_lookup), lookup=old_lookup)
            if context is None:
                continue
            async with self.db.transaction() as session:
                await ApiKeyRepository(session, context.id).relabel(old_lookup, lookup)
            await self.invalidate(context.id, lookups=[old_lookup, lookup])
            return context
        return None

    async def resolve_slug(self, slug: str) -> TenantContext | None:
        """The tenant with this slug (any status), for pages addressed by slug."""
        return await self._resolve(slug_ref(slug), slug=slug)

    async def _resolve(
        self, ref: str, *, lookup: str | None = None, slug: str | None = None
    ) -> TenantContext | None:
        local = self._local.get(ref)
        if local is not None and local[0] > self.clock():
            return local[1]
        generation = self._generation
        context: TenantContext | None
        raw = await self.shared.get(ref) if self.shared is not None else None
        if raw is not None:
            context = None if raw == _MISSING else TenantContext.loads(raw)
        else:
            token = await self.shared.change_token(ref) if self.shared is not None else None
            context = await self._load(lookup=lookup, slug=slug)
            if self.shared is not None:
                value = _MISSING if context is None else context.dumps()
                ttl = SHARED_TTL_SECONDS if context is not None else int(LOCAL_TTL_SECONDS) + 1
                await self.shared.set_if_unchanged(ref, value, ttl, name=ref, token=token)
        if generation == self._generation:
            if len(self._local) > 50_000:
                self._local.clear()
            self._local[ref] = (self.clock() + LOCAL_TTL_SECONDS, context)
        return context

    async def _load(self, *, lookup: str | None, slug: str | None) -> TenantContext | None:
        async with self.db.sessionmaker() as session:
            tenants = TenantRepository(session)
            if lookup is not None:
                tenant = await tenants.find_by_key_lookup(lookup)
            else:
                tenant = await tenants.get_by_slug(slug or "")
            return None if tenant is None else TenantContext.of(tenant)

    async def invalidate(
        self, tenant_id: uuid.UUID, *, lookups: Iterable[str] = (), slugs: Iterable[str] = ()
    ) -> None:
        """Forget everything cached about a tenant, under every key and slug it had."""
        self._generation += 1
        refs = [key_ref(lookup) for lookup in lookups] + [slug_ref(slug) for slug in slugs]
        for ref, (_, context) in list(self._local.items()):
            if context is not None and context.id == tenant_id:
                refs.append(ref)
        for ref in refs:
            self._local.pop(ref, None)
        if self.shared is not None and refs:
            unique = list(dict.fromkeys(refs))
            await self.shared.mark_changed(*unique)
            await self.shared.delete(*unique)
