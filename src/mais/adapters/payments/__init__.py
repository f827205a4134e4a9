"""Payments port: Stripe (official SDK) in real mode, an in-app checkout page in mock mode."""

from mais.adapters.payments.mock import MockPayments
from mais.adapters.payments.port import (
    STRIPE_API_VERSION,
    AccountStatus,
    CheckoutRequest,
    CheckoutSession,
    LineItem,
    PaymentProviderError,
    PaymentProviderUnavailable,
    PaymentsPort,
    RefundRequest,
    RefundResult,
)

__all__ = [
    "STRIPE_API_VERSION",
    "AccountStatus",
    "CheckoutRequest",
    "CheckoutSession",
    "LineItem",
    "MockPayments",
    "PaymentProviderError",
    "PaymentProviderUnavailable",
    "PaymentsPort",
    "RefundRequest",
    "RefundResult",
]
