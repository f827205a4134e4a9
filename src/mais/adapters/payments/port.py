"""What MAIS needs from a payment processor: Checkout sessions for destination charges
with an application fee, refunds, and Stripe Connect onboarding of tenants.

Both implementations speak Stripe's vocabulary (session ids `cs_...`, payment intents
`pi_...`, accounts `acct_...`) because the webhook path is the same for both."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Stripe API version every request and every (mock) event is pinned to.
STRIPE_API_VERSION = "2026-10-28.endive"


class PaymentProviderError(Exception):
    """The processor refused the request (invalid parameters, account problem)."""


class PaymentProviderUnavailable(PaymentProviderError):
    """The processor could not be reached or failed on its side (timeout, 5xx, 429):
    trying again later may succeed."""


@dataclass(frozen=True)
class LineItem:
    name: str
    amount_cents: int
    description: str | None = None


@dataclass(frozen=True)
class CheckoutRequest:
    """A Checkout session for one booking: a destination charge to the tenant's account
    with the platform's commission as application fee."""

    booking_id: str
    tenant_id: str
    currency: str
    line_items: tuple[LineItem, ...]
    customer_email: str
    application_fee_cents: int
    destination_account: str | None
    expires_at: datetime
    success_url: str
    cancel_url: str
    description: str = ""

    @property
    def amount_total(self) -> int:
        return sum(item.amount_cents for item in self.line_items)

    @property
    def idempotency_key(self) -> str:
        # One session per booking, however often the call is retried.
        return f"mais-checkout-{self.booking_id}"

    @property
    def metadata(self) -> dict[str, str]:
        return {"booking_id": self.booking_id, "tenant_id": self.tenant_id}


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class RefundRequest:
    payment_intent_id: str
    amount_cents: int
    idempotency_key: str
    # Full refund: the whole fee; partial: the processor refunds it in proportion.
    refund_application_fee: bool = True
    reverse_transfer: bool = True
    reason: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RefundResult:
    id: str
    status: str
    amount_cents: int


@dataclass(frozen=True)
class AccountStatus:
    account_id: str
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    requirements_due: tuple[str, ...] = ()


class PaymentsPort(abc.ABC):
    backend: str

    @abc.abstractmethod
    async def create_checkout_session(self, request: CheckoutRequest) -> CheckoutSession:
        """Create the hosted payment page. Raises PaymentProviderUnavailable or
        PaymentProviderError; never returns a session that was not created."""

    @abc.abstractmethod
    async def expire_checkout_session(self, session_id: str) -> None:
        """Close an open session so it can no longer be paid (already closed: no error)."""

    @abc.abstractmethod
    async def refund(self, request: RefundRequest) -> RefundResult:
        """Refund (part of) a payment, reversing the transfer to the connected account."""

    @abc.abstractmethod
    async def create_connected_account(
        self, *, tenant_id: str, email: str, business_name: str, country: str | None = None
    ) -> str:
        """Create an Express connected account for a tenant; returns its id (acct_...)."""

    @abc.abstractmethod
    async def create_account_link(
        self, account_id: str, *, return_url: str, refresh_url: str
    ) -> str:
        """A one-time onboarding URL for the account's owner."""

    @abc.abstractmethod
    async def retrieve_account(self, account_id: str) -> AccountStatus:
        """The account's current onboarding state."""

    async def close(self) -> None:
        return None


def account_status_of(account: Any) -> AccountStatus:
    """A Stripe `account` object (as a dict) as our AccountStatus."""
    requirements = account.get("requirements") or {}
    due = requirements.get("currently_due") or []
    return AccountStatus(
        account_id=account["id"],
        charges_enabled=bool(account.get("charges_enabled")),
        payouts_enabled=bool(account.get("payouts_enabled")),
        details_submitted=bool(account.get("details_submitted")),
        requirements_due=tuple(str(item) for item in due),
    )
