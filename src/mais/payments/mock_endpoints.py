"""The mock payment pages (SPEC §7, `ADAPTERS_PRESET=mock` only): a hosted-checkout
stand-in at `/mock/checkout/{session}` and a Connect onboarding stand-in at
`/mock/connect/{account}`. Server-rendered, no JavaScript needed. Paying sends signed
Stripe-format events to `/v1/webhooks/stripe`, so the real webhook code confirms."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from starlette.responses import RedirectResponse, Response

from mais.adapters.payments import MockPayments
from mais.adapters.payments.mock import PayOutcome
from mais.core.deps import ContainerDep
from mais.web.csp import origin_of, page_policy
from mais.web.templates import html_page

router = APIRouter(prefix="/mock", include_in_schema=False)

SESSION_PLACEHOLDER = "{CHECKOUT_SESSION_ID}"


def _money(cents: int, currency: str) -> str:
    return f"{cents / 100:,.2f} {currency.upper()}"


def _page(status: int = 200, *, leads_to: tuple[str, ...] = (), **context: Any) -> Response:
    session = context.get("session")
    currency = session["currency"] if session else "usd"
    context.setdefault("money", lambda cents: _money(int(cents), currency))
    context.setdefault("title", "Checkout")
    for name in ("session", "account", "error", "open", "expires", "card", "undelivered"):
        context.setdefault(name, None)
    context.setdefault("return_url", "/")
    # Like Stripe's page: a top-level page nobody may frame. Its forms post to itself and
    # are redirected to the success or cancel page (form-action covers those redirects).
    targets = [origin for origin in (origin_of(url) for url in leads_to) if origin]
    return html_page(
        "payments/mock_checkout.html",
        policy=page_policy(form_action=["'self'", *targets]),
        status_code=status,
        headers={"Cache-Control": "no-store"},
        **context,
    )


def _mock(container: Any) -> MockPayments | None:
    payments = container.payments
    return payments if isinstance(payments, MockPayments) else None


def _not_found() -> Response:
    return _page(404, title="Checkout not found", error="This checkout page does not exist.")


def _session_page(
    mock: MockPayments,
    data: dict[str, Any],
    *,
    status: int = 200,
    error: str | None = None,
    card: str = "",
) -> Response:
    is_open = data["status"] == "open"
    title = "Pay for your booking" if is_open else f"This checkout is {data['status']}"
    expires = datetime.fromtimestamp(int(data["expires_at"]), UTC).strftime("%H:%M UTC")
    view = dict(data, description=data.get("payment_intent_data", {}).get("description", ""))
    return _page(
        status,
        leads_to=(data["success_url"], data["cancel_url"]),
        title=title,
        session=view,
        open=is_open,
        expires=expires,
        error=error,
        card=card,
        undelivered=data["status"] == "complete",
    )


def _redirect(url: str, session_id: str) -> RedirectResponse:
    return RedirectResponse(url.replace(SESSION_PLACEHOLDER, session_id), status_code=303)


@router.get("/checkout/{session_id}")
async def mock_checkout_page(session_id: str, container: ContainerDep) -> Response:
    mock = _mock(container)
    data = mock.get_session(session_id) if mock else None
    if mock is None or data is None:
        return _not_found()
    return _session_page(mock, data)


@router.post("/checkout/{session_id}/pay")
async def mock_checkout_pay(
    session_id: str, container: ContainerDep, card: Annotated[str, Form()] = ""
) -> Response:
    mock = _mock(container)
    data = mock.get_session(session_id) if mock else None
    if mock is None or data is None:
        return _not_found()
    outcome, events = await mock.pay(session_id, card)
    fresh = mock.get_session(session_id) or data
    if outcome is PayOutcome.not_open:
        return _session_page(
            mock, fresh, status=409, error="This checkout session is no longer open."
        )
    if outcome is PayOutcome.invalid_card:
        return _session_page(
            mock,
            fresh,
            status=422,
            card=card,
            error="Use a test card: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined.",
        )
    delivery = await mock.deliver(events)
    if outcome is PayOutcome.declined:
        return _session_page(
            mock,
            fresh,
            status=402,
            card=card,
            error="Your card was declined. Try another card; "
            "your date stays held until this page expires.",
        )
    if not delivery.ok:
        return _session_page(
            mock,
            fresh,
            status=502,
            error=f"Payment succeeded, but the booking system did not accept the notification "
            f"({delivery.status_code or delivery.detail}). Send it again below.",
        )
    return _redirect(fresh["success_url"], session_id)


@router.post("/checkout/{session_id}/redeliver")
async def mock_checkout_redeliver(session_id: str, container: ContainerDep) -> Response:
    mock = _mock(container)
    data = mock.get_session(session_id) if mock else None
    if mock is None or data is None:
        return _not_found()
    delivery = await mock.deliver(
        [e for e in mock.events_of(session_id) if e["type"].startswith("checkout.")]
    )
    if not delivery.ok:
        return _session_page(
            mock,
            data,
            status=502,
            error="The booking system still did not accept the notification.",
        )
    return _redirect(data["success_url"], session_id)


@router.post("/checkout/{session_id}/cancel")
async def mock_checkout_cancel(session_id: str, container: ContainerDep) -> Response:
    mock = _mock(container)
    data = mock.get_session(session_id) if mock else None
    if mock is None or data is None:
        return _not_found()
    events = await mock.cancel(session_id)
    await mock.deliver(events)  # best effort: the periodic sweep releases the hold anyway
    return _redirect(data["cancel_url"], session_id)


def _safe_return(url: str, public_url: str) -> str:
    if url.startswith("/") and not url.startswith("//"):
        return url
    return url if url.startswith(public_url.rstrip("/") + "/") else "/"


@router.get("/connect/{account_id}")
async def mock_connect_page(
    account_id: str, container: ContainerDep, return_url: Annotated[str, Query()] = "/"
) -> Response:
    mock = _mock(container)
    account = mock.get_account(account_id) if mock else None
    if mock is None or account is None:
        return _page(404, title="Account not found", error="This onboarding link is not valid.")
    return _page(
        title="Stripe onboarding (mock)",
        account=account,
        return_url=_safe_return(return_url, container.settings.public_url),
    )


@router.post("/connect/{account_id}")
async def mock_connect_complete(
    account_id: str, container: ContainerDep, return_url: Annotated[str, Form()] = "/"
) -> Response:
    mock = _mock(container)
    if mock is None or mock.get_account(account_id) is None:
        return _page(404, title="Account not found", error="This onboarding link is not valid.")
    await mock.deliver(await mock.complete_onboarding(account_id))
    return RedirectResponse(
        _safe_return(return_url, container.settings.public_url), status_code=303
    )
