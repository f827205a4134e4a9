"""`POST /v1/webhooks/stripe`: signature-checked, no tenant key, no rate limit."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from mais.core.deps import ContainerDep
from mais.core.schemas import ErrorBody
from mais.payments.service import StripeWebhookService

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

_ERR: dict[str, Any] = {"model": ErrorBody}


@router.post(
    "/stripe",
    summary="Stripe events (Checkout, payment intents, refunds, Connect accounts)",
    responses={
        400: _ERR | {"description": "INVALID_SIGNATURE or INVALID_PAYLOAD"},
        503: _ERR
        | {"description": "WEBHOOK_PROCESSING_FAILED (stored; Stripe re-delivers, Retry-After)"},
    },
)
async def stripe_webhook(request: Request, container: ContainerDep) -> dict[str, Any]:
    payload = await request.body()
    outcome = await StripeWebhookService(container).receive(
        payload, request.headers.get("stripe-signature")
    )
    return {"received": True, "outcome": outcome.value}
