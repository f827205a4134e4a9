"""Stripe Connect onboarding of tenants: creating their connected account, the onboarding
link, and keeping the tenant's `stripe_*` fields in step with the account.

Called by the tenant-admin and platform-admin APIs (onboarding, status) and by the
`account.updated` webhook."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from mais.adapters.payments import AccountStatus, PaymentProviderError, PaymentProviderUnavailable
from mais.audit.service import Actor, record
from mais.bookings.errors import PaymentProviderFailed, PaymentProviderUnavailableError
from mais.core.db import after_commit
from mais.core.errors import NotFound
from mais.models import Tenant
from mais.tenants.repository import ApiKeyRepository, TenantRepository

if TYPE_CHECKING:
    from mais.container import Container


def _stripe_state(tenant: Tenant) -> dict[str, object]:
    return {
        "stripeAccountId": tenant.stripe_account_id,
        "chargesEnabled": tenant.stripe_charges_enabled,
        "payoutsEnabled": tenant.stripe_payouts_enabled,
        "detailsSubmitted": tenant.stripe_details_submitted,
        "requirementsDue": list(tenant.stripe_requirements_due or []),
    }


class ConnectService:
    def __init__(self, session: AsyncSession, container: Container) -> None:
        self.session = session
        self.container = container
        self.payments = container.payments

    async def _tenant(self, tenant_id: uuid.UUID) -> Tenant:
        tenant = await TenantRepository(self.session).get(tenant_id)
        if tenant is None:
            raise NotFound("Tenant not found.")
        return tenant

    async def start_onboarding(
        self, actor: Actor, tenant_id: uuid.UUID, *, return_url: str, refresh_url: str
    ) -> str:
        """The URL where the tenant's owner completes Stripe onboarding. Creates the
        tenant's Express account on first use (idempotent per tenant at Stripe).
        Raises 503 PAYMENT_PROVIDER_UNAVAILABLE / 502 PAYMENT_PROVIDER_ERROR."""
        tenant = await self._tenant(tenant_id)
        try:
            if not tenant.stripe_account_id:
                before = _stripe_state(tenant)
                tenant.stripe_account_id = await self.payments.create_connected_account(
                    tenant_id=str(tenant.id), email=tenant.email, business_name=tenant.name
                )
                await self.session.flush()
                record(
                    self.session,
                    actor,
                    "tenant.stripe_account_created",
                    "tenant",
                    tenant.id,
                    tenant_id=tenant.id,
                    before=before,
                    after=_stripe_state(tenant),
                )
                self._invalidate_after_commit(tenant)
            return await self.payments.create_account_link(
                tenant.stripe_account_id, return_url=return_url, refresh_url=refresh_url
            )
        except PaymentProviderUnavailable as exc:
            raise PaymentProviderUnavailableError() from exc
        except PaymentProviderError as exc:
            raise PaymentProviderFailed(f"Stripe refused the onboarding request: {exc}") from exc

    async def refresh_status(self, actor: Actor, tenant_id: uuid.UUID) -> AccountStatus | None:
        """Read the account from Stripe and store its state; None without an account."""
        tenant = await self._tenant(tenant_id)
        if not tenant.stripe_account_id:
            return None
        try:
            status = await self.payments.retrieve_account(tenant.stripe_account_id)
        except PaymentProviderUnavailable as exc:
            raise PaymentProviderUnavailableError() from exc
        except PaymentProviderError as exc:
            raise PaymentProviderFailed(f"Stripe refused the status request: {exc}") from exc
        await self.apply_account_status(actor, tenant, status)
        return status

    async def apply_account_status(
        self, actor: Actor, tenant: Tenant, status: AccountStatus
    ) -> bool:
        """Store the account's onboarding state on the tenant; True when it changed."""
        before = _stripe_state(tenant)
        tenant.stripe_charges_enabled = status.charges_enabled
        tenant.stripe_payouts_enabled = status.payouts_enabled
        tenant.stripe_details_submitted = status.details_submitted
        tenant.stripe_requirements_due = list(status.requirements_due)
        after = _stripe_state(tenant)
        if after == before:
            return False
        await self.session.flush()
        record(
            self.session,
            actor,
            "tenant.stripe_account_updated",
            "tenant",
            tenant.id,
            tenant_id=tenant.id,
            before=before,
            after=after,
        )
        self._invalidate_after_commit(tenant)
        return True

    def _invalidate_after_commit(self, tenant: Tenant) -> None:
        """Cached resolutions carry `stripe_charges_enabled`: drop them once committed."""
        tenant_id, slug = tenant.id, tenant.slug
        resolver, session = self.container.resolver, self.session

        async def _invalidate() -> None:
            async with self.container.db.sessionmaker() as reader:
                keys = await ApiKeyRepository(reader, tenant_id).live_keys()
                lookups = [key.lookup for key in keys]
            await resolver.invalidate(tenant_id, lookups=lookups, slugs=[slug])

        after_commit(session, _invalidate)
