"""Real payments on the official `stripe` SDK (StripeClient, async over httpx).

Checkout sessions are destination charges: the money goes to the tenant's connected
account (`transfer_data.destination`) and the platform keeps `application_fee_amount`.
Every call is pinned to STRIPE_API_VERSION and carries an idempotency key derived from
our own ids, so a retried call never creates a second session or refund."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import stripe

from mais.adapters.payments.port import (
    STRIPE_API_VERSION,
    AccountStatus,
    CheckoutRequest,
    CheckoutSession,
    PaymentProviderError,
    PaymentProviderUnavailable,
    PaymentsPort,
    RefundRequest,
    RefundResult,
    account_status_of,
)

log = logging.getLogger("mais.payments.stripe")

DEFAULT_TIMEOUT_SECONDS = 15.0
# The SDK retries connection errors and 5xx itself; safe because every write has an
# idempotency key. One retry keeps a checkout within a customer's patience.
DEFAULT_NETWORK_RETRIES = 1


class _HTTPXClient(stripe.HTTPXClient):
    """The SDK's httpx client passes the form-encoded body as `data=`, which httpx
    deprecates for raw text (it wants `content=`); the bytes on the wire are the same."""

    def _get_request_args_kwargs(
        self, method: str, url: str, headers: Any, post_data: Any
    ) -> list[Any]:
        args, kwargs = super()._get_request_args_kwargs(method, url, headers, post_data)
        kwargs["content"] = kwargs.pop("data", None) or None
        return [args, kwargs]


def _translate(exc: stripe.StripeError) -> PaymentProviderError:
    """SDK errors → our two kinds: worth retrying later, or refused for good."""
    status = exc.http_status or 0
    transient = isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError) or status >= 500
    kind = PaymentProviderUnavailable if transient else PaymentProviderError
    message = exc.user_message or str(exc) or exc.__class__.__name__
    return kind(f"{exc.__class__.__name__}: {message}".strip())


class StripePayments(PaymentsPort):
    backend = "stripe"

    def __init__(
        self,
        secret_key: str,
        *,
        api_base: str | None = None,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        max_network_retries: int = DEFAULT_NETWORK_RETRIES,
    ) -> None:
        base = (api_base or stripe.DEFAULT_API_BASE).rstrip("/")
        self._http = _HTTPXClient(timeout=timeout_seconds)
        self.client = stripe.StripeClient(
            secret_key,
            stripe_version=STRIPE_API_VERSION,
            base_addresses={"api": base, "connect": base, "files": base},
            max_network_retries=max_network_retries,
            http_client=self._http,
        )

    async def close(self) -> None:
        await self._http.close_async()

    # --- checkout -----------------------------------------------------------------

    async def create_checkout_session(self, request: CheckoutRequest) -> CheckoutSession:
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.currency,
                        "unit_amount": item.amount_cents,
                        "product_data": {"name": item.name}
                        | ({"description": item.description} if item.description else {}),
                    },
                }
                for item in request.line_items
            ],
            "customer_email": request.customer_email,
            "client_reference_id": request.booking_id,
            "metadata": request.metadata,
            "expires_at": int(request.expires_at.timestamp()),
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "payment_intent_data": {
                "application_fee_amount": request.application_fee_cents,
                "metadata": request.metadata,
                **({"description": request.description} if request.description else {}),
                **(
                    {"transfer_data": {"destination": request.destination_account}}
                    if request.destination_account
                    else {}
                ),
            },
        }
        try:
            session = await self.client.v1.checkout.sessions.create_async(
                params,  # type: ignore[arg-type]
                {"idempotency_key": request.idempotency_key},
            )
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        if not session.url:
            raise PaymentProviderError("Stripe returned a Checkout session without a URL")
        expires = session.expires_at or int(request.expires_at.timestamp())
        return CheckoutSession(
            id=session.id, url=session.url, expires_at=datetime.fromtimestamp(expires, UTC)
        )

    async def expire_checkout_session(self, session_id: str) -> None:
        try:
            await self.client.v1.checkout.sessions.expire_async(session_id)
        except stripe.InvalidRequestError as exc:
            # Already completed or expired: nothing left to close.
            log.info("checkout session %s not expired: %s", session_id, exc.user_message)
        except stripe.StripeError as exc:
            raise _translate(exc) from exc

    # --- refunds ------------------------------------------------------------------

    async def refund(self, request: RefundRequest) -> RefundResult:
        params: dict[str, Any] = {
            "payment_intent": request.payment_intent_id,
            "amount": request.amount_cents,
            "reverse_transfer": request.reverse_transfer,
            "refund_application_fee": request.refund_application_fee,
        }
        if request.metadata:
            params["metadata"] = request.metadata
        try:
            refund = await self.client.v1.refunds.create_async(
                params,  # type: ignore[arg-type]
                {"idempotency_key": request.idempotency_key},
            )
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return RefundResult(
            id=refund.id, status=refund.status or "pending", amount_cents=refund.amount
        )

    # --- Connect ------------------------------------------------------------------

    async def create_connected_account(
        self, *, tenant_id: str, email: str, business_name: str, country: str | None = None
    ) -> str:
        params: dict[str, Any] = {
            "type": "express",
            "email": email,
            "business_profile": {"name": business_name},
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
            "metadata": {"tenant_id": tenant_id},
        }
        if country:
            params["country"] = country
        try:
            account = await self.client.v1.accounts.create_async(
                params,  # type: ignore[arg-type]
                {"idempotency_key": f"mais-connect-account-{tenant_id}"},
            )
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return account.id

    async def create_account_link(
        self, account_id: str, *, return_url: str, refresh_url: str
    ) -> str:
        try:
            link = await self.client.v1.account_links.create_async(
                {
                    "account": account_id,
                    "return_url": return_url,
                    "refresh_url": refresh_url,
                    "type": "account_onboarding",
                }
            )
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return link.url

    async def retrieve_account(self, account_id: str) -> AccountStatus:
        try:
            account = await self.client.v1.accounts.retrieve_async(account_id)
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return account_status_of(account.to_dict())
