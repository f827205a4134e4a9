"""Mock payments (SPEC §7): an in-app stand-in for Stripe Checkout and Connect.

Sessions, refunds and accounts are JSON files under `DATA_DIR/mock-stripe`, so every web
and worker process sees the same state (adapters never touch the database). Paying on
the mock checkout page builds Stripe-format events, signs them exactly as Stripe does
with the webhook secret, and POSTs them to the app's own `/v1/webhooks/stripe`, so the
real webhook code runs. `webhook_transport` lets tests deliver through the ASGI app."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from mais.adapters.payments.port import (
    STRIPE_API_VERSION,
    AccountStatus,
    CheckoutRequest,
    CheckoutSession,
    PaymentProviderError,
    PaymentsPort,
    RefundRequest,
    RefundResult,
    account_status_of,
)
from mais.core.clock import Clock

SUCCESS_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
WEBHOOK_PATH = "/v1/webhooks/stripe"


def stripe_signature_header(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """`Stripe-Signature` for `payload`, computed exactly as Stripe does:
    `t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>`."""
    t = int(time.time()) if timestamp is None else timestamp
    signed = f"{t}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def stripe_event(
    event_type: str, obj: dict[str, Any], *, event_id: str | None = None
) -> dict[str, Any]:
    """An event envelope in Stripe's format around `obj`."""
    return {
        "id": event_id or f"evt_mock_{secrets.token_hex(12)}",
        "object": "event",
        "api_version": STRIPE_API_VERSION,
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
        "data": {"object": obj},
    }


class PayOutcome(StrEnum):
    paid = "paid"
    declined = "declined"
    invalid_card = "invalid_card"
    not_open = "not_open"


@dataclass(frozen=True)
class Delivery:
    """What happened when the mock posted its events to the webhook endpoint."""

    ok: bool
    status_code: int | None
    detail: str = ""


def _atomic_write(path: Path, data: dict[str, Any]) -> None:
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    except FileNotFoundError:  # the folder's first file
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    os.replace(tmp, path)


def _safe_name(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


class MockPayments(PaymentsPort):
    backend = "mock"

    def __init__(
        self,
        state_dir: Path,
        *,
        public_url: str,
        webhook_secret: str,
        clock: Clock,
        webhook_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.state_dir = state_dir
        self.public_url = public_url.rstrip("/")
        self.webhook_secret = webhook_secret
        self.clock = clock
        # None: deliver over HTTP to `public_url`; tests set an ASGI transport.
        self.webhook_transport = webhook_transport
        self._lock = asyncio.Lock()

    # --- files ----------------------------------------------------------------------

    def _path(self, kind: str, key: str) -> Path:
        if not key.replace("_", "").isalnum():
            raise PaymentProviderError(f"bad mock id {key!r}")
        return self.state_dir / kind / f"{key}.json"

    def _read(self, kind: str, key: str) -> dict[str, Any] | None:
        try:
            raw = self._path(kind, key).read_bytes()
        except (PaymentProviderError, FileNotFoundError):
            return None
        data: dict[str, Any] = orjson.loads(raw)
        return data

    def _write(self, kind: str, key: str, data: dict[str, Any]) -> None:
        _atomic_write(self._path(kind, key), data)

    # --- checkout (port) ----------------------------------------------------------

    def checkout_url(self, session_id: str) -> str:
        return f"{self.public_url}/mock/checkout/{session_id}"

    async def create_checkout_session(self, request: CheckoutRequest) -> CheckoutSession:
        async with self._lock:
            idem = self._read("idempotency", _safe_name(request.idempotency_key))
            if idem is not None:
                existing = self._read("sessions", idem["session_id"])
                assert existing is not None
                return self._session_result(existing)
            session_id = f"cs_test_mock_{secrets.token_hex(16)}"
            data = {
                "id": session_id,
                "object": "checkout.session",
                "mode": "payment",
                "status": "open",
                "payment_status": "unpaid",
                "amount_subtotal": request.amount_total,
                "amount_total": request.amount_total,
                "currency": request.currency,
                "customer_email": request.customer_email,
                "customer_details": {"email": request.customer_email},
                "client_reference_id": request.booking_id,
                "metadata": request.metadata,
                "created": int(self.clock.now().timestamp()),
                "expires_at": int(request.expires_at.timestamp()),
                "success_url": request.success_url,
                "cancel_url": request.cancel_url,
                "url": self.checkout_url(session_id),
                "payment_intent": None,
                "line_items": [
                    {"name": item.name, "amount": item.amount_cents} for item in request.line_items
                ],
                "payment_intent_data": {
                    "application_fee_amount": request.application_fee_cents,
                    "transfer_data": {"destination": request.destination_account},
                    "description": request.description,
                },
                "events": [],
            }
            self._write("sessions", session_id, data)
            self._write(
                "idempotency", _safe_name(request.idempotency_key), {"session_id": session_id}
            )
            return self._session_result(data)

    def _session_result(self, data: dict[str, Any]) -> CheckoutSession:
        return CheckoutSession(
            id=data["id"],
            url=data["url"],
            expires_at=datetime.fromtimestamp(data["expires_at"], UTC),
        )

    async def expire_checkout_session(self, session_id: str) -> None:
        async with self._lock:
            data = self._read("sessions", session_id)
            if data is not None and data["status"] == "open":
                data["status"] = "expired"
                self._write("sessions", session_id, data)

    # --- the mock checkout page ---------------------------------------------------

    def get_session(self, session_id: str) -> dict[str, Any] | None:
        data = self._read("sessions", session_id)
        if data is not None and data["status"] == "open" and self._past_expiry(data):
            data["status"] = "expired"
        return data

    def _past_expiry(self, data: dict[str, Any]) -> bool:
        return int(self.clock.now().timestamp()) >= int(data["expires_at"])

    async def pay(
        self, session_id: str, card_number: str
    ) -> tuple[PayOutcome, list[dict[str, Any]]]:
        """Charge a test card. Returns the outcome and the events to deliver."""
        card = "".join(ch for ch in card_number if ch.isdigit())
        async with self._lock:
            data = self.get_session(session_id)
            if data is None or data["status"] != "open":
                return PayOutcome.not_open, []
            if card not in (SUCCESS_CARD, DECLINED_CARD):
                return PayOutcome.invalid_card, []
            intent_id = data["payment_intent"] or f"pi_mock_{secrets.token_hex(12)}"
            data["payment_intent"] = intent_id
            if card == DECLINED_CARD:
                event = stripe_event(
                    "payment_intent.payment_failed", self._intent(data, "requires_payment_method")
                )
                data["events"].append(event)
                self._write("sessions", session_id, data)
                return PayOutcome.declined, [event]
            data["status"] = "complete"
            data["payment_status"] = "paid"
            session_obj = {k: v for k, v in data.items() if k not in ("events", "line_items")}
            events = [
                stripe_event("checkout.session.completed", session_obj),
                stripe_event("payment_intent.succeeded", self._intent(data, "succeeded")),
            ]
            data["events"].extend(events)
            self._write("sessions", session_id, data)
            return PayOutcome.paid, events

    def _intent(self, data: dict[str, Any], status: str) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "id": data["payment_intent"],
            "object": "payment_intent",
            "amount": data["amount_total"],
            "currency": data["currency"],
            "status": status,
            "metadata": data["metadata"],
            "application_fee_amount": data["payment_intent_data"]["application_fee_amount"],
            "transfer_data": data["payment_intent_data"]["transfer_data"],
        }
        if status != "succeeded":
            obj["last_payment_error"] = {
                "code": "card_declined",
                "decline_code": "generic_decline",
                "message": "Your card was declined.",
            }
        return obj

    async def cancel(self, session_id: str) -> list[dict[str, Any]]:
        """The customer gave up: the session expires at once (as the issue's
        cancel-and-expire flow), releasing the hold through the real webhook path."""
        async with self._lock:
            data = self.get_session(session_id)
            if data is None or data["status"] == "complete":
                return []
            data["status"] = "expired"
            session_obj = {k: v for k, v in data.items() if k not in ("events", "line_items")}
            event = stripe_event("checkout.session.expired", session_obj)
            data["events"].append(event)
            self._write("sessions", session_id, data)
            return [event]

    def events_of(self, session_id: str) -> list[dict[str, Any]]:
        data = self._read("sessions", session_id)
        return list(data["events"]) if data else []

    async def deliver(self, events: list[dict[str, Any]]) -> Delivery:
        """POST each event, signed, to the webhook endpoint, in order; stop at a failure."""
        base = self.public_url if self.webhook_transport is None else "http://mock-stripe.local"
        async with httpx.AsyncClient(
            transport=self.webhook_transport, base_url=base, timeout=30.0
        ) as client:
            for event in events:
                payload = json.dumps(event, separators=(",", ":")).encode()
                headers = {
                    "Content-Type": "application/json",
                    "Stripe-Signature": stripe_signature_header(payload, self.webhook_secret),
                    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks) mais-mock",
                }
                try:
                    response = await client.post(WEBHOOK_PATH, content=payload, headers=headers)
                except httpx.HTTPError as exc:
                    return Delivery(False, None, f"{exc.__class__.__name__}: {exc}")
                if response.status_code >= 300:
                    return Delivery(False, response.status_code, response.text[:500])
        return Delivery(True, 200)

    # --- refunds (port) -----------------------------------------------------------

    async def refund(self, request: RefundRequest) -> RefundResult:
        async with self._lock:
            key = _safe_name(request.idempotency_key)
            existing = self._read("refunds", key)
            if existing is None:
                existing = {
                    "id": f"re_mock_{secrets.token_hex(12)}",
                    "object": "refund",
                    "payment_intent": request.payment_intent_id,
                    "amount": request.amount_cents,
                    "status": "succeeded",
                    "reverse_transfer": request.reverse_transfer,
                    "refund_application_fee": request.refund_application_fee,
                    "metadata": request.metadata,
                }
                self._write("refunds", key, existing)
        return RefundResult(
            id=existing["id"], status=existing["status"], amount_cents=existing["amount"]
        )

    def refunds(self) -> list[dict[str, Any]]:
        folder = self.state_dir / "refunds"
        if not folder.exists():
            return []
        return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]

    # --- Connect (port) -------------------------------------------------------------

    async def create_connected_account(
        self, *, tenant_id: str, email: str, business_name: str, country: str | None = None
    ) -> str:
        account_id = f"acct_mock{secrets.token_hex(8)}"
        self._write(
            "accounts",
            account_id,
            {
                "id": account_id,
                "object": "account",
                "email": email,
                "business_profile": {"name": business_name},
                "metadata": {"tenant_id": tenant_id},
                "charges_enabled": False,
                "payouts_enabled": False,
                "details_submitted": False,
                "requirements": {"currently_due": ["external_account", "tos_acceptance.date"]},
            },
        )
        return account_id

    async def create_account_link(
        self, account_id: str, *, return_url: str, refresh_url: str
    ) -> str:
        if self._read("accounts", account_id) is None:
            raise PaymentProviderError(f"No such account: {account_id}")
        return (
            f"{self.public_url}/mock/connect/{account_id}?return_url={quote(return_url, safe='')}"
        )

    async def retrieve_account(self, account_id: str) -> AccountStatus:
        data = self._read("accounts", account_id)
        if data is None:
            raise PaymentProviderError(f"No such account: {account_id}")
        return account_status_of(data)

    def get_account(self, account_id: str) -> dict[str, Any] | None:
        return self._read("accounts", account_id)

    async def complete_onboarding(self, account_id: str) -> list[dict[str, Any]]:
        """The mock onboarding form was submitted: the account can take payments now."""
        async with self._lock:
            data = self._read("accounts", account_id)
            if data is None:
                return []
            data.update(
                charges_enabled=True,
                payouts_enabled=True,
                details_submitted=True,
                requirements={"currently_due": []},
            )
            self._write("accounts", account_id, data)
            return [stripe_event("account.updated", data)]
