"""Every table of MAIS. Import models from here so Alembic and the app see the same metadata."""

from mais.models.base import Base, new_id, utcnow
from mais.models.booking import (
    DATE_BLOCKING_STATUSES,
    Booking,
    BookingAddOn,
    BookingStatus,
    Customer,
)
from mais.models.catalog import AddOn, Package, PackageAddOn, PackagePhoto
from mais.models.notification import EmailDelivery
from mais.models.operations import AuditEntry, Job, JobStatus, WebhookEvent, WebhookEventStatus
from mais.models.payment import Payment, PaymentStatus, Refund
from mais.models.tenant import (
    ApiKeyKind,
    BlackoutDate,
    IdempotencyRecord,
    Tenant,
    TenantApiKey,
    TenantSecret,
    TenantStatus,
)
from mais.models.user import PasswordResetToken, Role, User, UserSession

__all__ = [
    "DATE_BLOCKING_STATUSES",
    "AddOn",
    "ApiKeyKind",
    "AuditEntry",
    "Base",
    "BlackoutDate",
    "Booking",
    "BookingAddOn",
    "BookingStatus",
    "Customer",
    "EmailDelivery",
    "IdempotencyRecord",
    "Job",
    "JobStatus",
    "Package",
    "PackageAddOn",
    "PackagePhoto",
    "PasswordResetToken",
    "Payment",
    "PaymentStatus",
    "Refund",
    "Role",
    "Tenant",
    "TenantApiKey",
    "TenantSecret",
    "TenantStatus",
    "User",
    "UserSession",
    "WebhookEvent",
    "WebhookEventStatus",
    "new_id",
    "utcnow",
]
