"""The named errors of checkout and booking changes (machine codes are part of the API)."""

from __future__ import annotations

from datetime import date

from mais.core.errors import BadGateway, Conflict, ServiceUnavailable, ValidationFailed


class DateUnavailable(Conflict):
    code = "DATE_UNAVAILABLE"
    message = "This date is not available."

    def __init__(self, day: date, reason: str) -> None:
        super().__init__(
            f"{day.isoformat()} is not available ({reason.replace('_', ' ')}).",
            details={"date": day.isoformat(), "reason": reason},
        )
        self.reason = reason


class TenantNotOnboarded(Conflict):
    code = "TENANT_NOT_ONBOARDED"
    message = "This business cannot take payments yet (Stripe onboarding is not finished)."


class PaymentProviderUnavailableError(ServiceUnavailable):
    code = "PAYMENT_PROVIDER_UNAVAILABLE"
    message = "The payment provider is not reachable right now; please try again in a moment."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, headers={"Retry-After": "30"})


class PaymentProviderFailed(BadGateway):
    code = "PAYMENT_PROVIDER_ERROR"
    message = "The payment provider refused the request."


class IdempotencyKeyReused(ValidationFailed):
    code = "IDEMPOTENCY_KEY_REUSED"
    message = "This Idempotency-Key was already used with a different request body."


class BookingNotCancelable(Conflict):
    code = "BOOKING_NOT_CANCELABLE"
    message = "Only held or confirmed bookings can be canceled."


class BookingNotRefundable(Conflict):
    code = "BOOKING_NOT_REFUNDABLE"
    message = "This booking has no payment left to refund."


class InvalidRefundAmount(ValidationFailed):
    code = "INVALID_REFUND_AMOUNT"
    message = "The refund amount must be between 1 cent and the amount not yet refunded."
