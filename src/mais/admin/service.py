"""What the platform admin can do: tenants (list, create with keys and an admin or an
invitation, change, suspend), platform statistics, the audit log, failed jobs and
webhook events (with retry)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from mais.admin.repository import JobRepository, PlatformRepository
from mais.admin.schemas import (
    AdminTenantOut,
    AdminUserOut,
    AuditPage,
    BookingStats,
    JobOut,
    JobPage,
    MonthStats,
    PlatformStats,
    TenantCounts,
    TenantCreate,
    TenantCreated,
    TenantDetail,
    TenantListItem,
    TenantPage,
    TenantStats,
    TenantTotals,
    WebhookEventOut,
    WebhookEventPage,
)
from mais.audit.repository import AuditFilters, AuditLog
from mais.audit.service import Actor, record
from mais.auth.service import AuthService
from mais.core.db import after_commit
from mais.core.errors import Conflict, NotFound, ValidationFailed
from mais.jobs.queue import wake_signal
from mais.models import JobStatus, Tenant, WebhookEventStatus, utcnow
from mais.payments.repository import WebhookEventRepository
from mais.payments.service import StripeWebhookService
from mais.tenant_admin.schemas import AuditEntryOut
from mais.tenants.service import TenantService

if TYPE_CHECKING:
    from mais.container import Container

JOB_STATUS_FILTERS = ("failed", *(status.value for status in JobStatus))


class NotRetryable(Conflict):
    code = "NOT_RETRYABLE"


def month_start(now: datetime | None = None) -> datetime:
    now = (now or utcnow()).astimezone(UTC)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


class PlatformAdminService:
    def __init__(self, session: AsyncSession, container: Container, actor: Actor) -> None:
        self.session = session
        self.container = container
        self.actor = actor
        self.platform = PlatformRepository(session)

    # --- tenants --------------------------------------------------------------------------

    async def tenant(self, id_or_slug: str) -> Tenant:
        tenant = await self.platform.tenant(id_or_slug)
        if tenant is None:
            raise NotFound("Tenant not found.")
        return tenant

    async def list_tenants(self, search: str | None, page: int, page_size: int) -> TenantPage:
        tenants, total = await self.platform.tenant_page(
            search=search, offset=(page - 1) * page_size, limit=page_size
        )
        ids = [tenant.id for tenant in tenants]
        packages = await self.platform.package_counts(ids)
        bookings = await self.platform.booking_counts(ids)
        items = [
            TenantListItem(
                **AdminTenantOut.fields_of(tenant),
                counts=TenantCounts(
                    packages=packages.get(tenant.id, 0),
                    bookings=sum(bookings.get(tenant.id, {}).values()),
                    bookings_by_status=bookings.get(tenant.id, {}),
                ),
            )
            for tenant in tenants
        ]
        return TenantPage(items=items, total=total, page=page, page_size=page_size)

    async def create_tenant(self, body: TenantCreate) -> TenantCreated:
        """Same service as `mais create-tenant`, so both make identical tenants. Without a
        password the admin gets an invitation e-mail (a password-reset link, 7 days)."""
        created = await TenantService(self.session, self.container.resolver).create_tenant(
            self.actor,
            slug=body.slug,
            name=body.name,
            email=body.email,
            password=body.password,
            commission_percent=body.commission_percent,
            timezone=body.timezone,
        )
        if created.invited:
            auth = AuthService(self.session, self.container.settings, self.container.rate_limiter)
            await auth.enqueue_invite(created.admin)
        return TenantCreated(
            tenant=AdminTenantOut.of(created.tenant),
            public_key=created.keys.public_key,
            secret_key=created.keys.secret_key,
        )

    async def tenant_detail(self, id_or_slug: str) -> TenantDetail:
        tenant = await self.tenant(id_or_slug)
        keys = await TenantService(self.session, self.container.resolver).key_summary(tenant.id)
        admins = await self.platform.admins(tenant.id)
        return TenantDetail(
            **AdminTenantOut.fields_of(tenant),
            public_key=keys.public_key,
            admins=[AdminUserOut.of(user) for user in admins],
            stats=await self._stats(tenant.id),
        )

    async def update_tenant(self, id_or_slug: str, changes: dict[str, Any]) -> AdminTenantOut:
        tenant = await self.tenant(id_or_slug)
        await TenantService(self.session, self.container.resolver).update_tenant(
            self.actor,
            tenant,
            name=changes.get("name"),
            commission_percent=changes.get("commission_percent"),
            status=changes.get("status"),
        )
        return AdminTenantOut.of(tenant)

    # --- statistics -------------------------------------------------------------------------

    async def _stats(self, tenant_id: uuid.UUID | None) -> TenantStats:
        since = month_start()
        money = await self.platform.money(tenant_id=tenant_id)
        month_money = await self.platform.money(tenant_id=tenant_id, since=since)
        return TenantStats(
            bookings=BookingStats(by_status=await self.platform.bookings_by_status(tenant_id)),
            gross_volume_cents=money.gross_volume_cents,
            platform_commission_cents=money.platform_commission_cents,
            this_month=MonthStats(
                bookings=await self.platform.confirmed_since(since, tenant_id),
                gross_volume_cents=month_money.gross_volume_cents,
                platform_commission_cents=month_money.platform_commission_cents,
            ),
        )

    async def tenant_stats(self, tenant_id: uuid.UUID) -> TenantStats:
        """One tenant's bookings and money (the tenant dashboard's home shows it too)."""
        return await self._stats(tenant_id)

    async def platform_stats(self) -> PlatformStats:
        total, active = await self.platform.tenant_totals()
        stats = await self._stats(None)
        return PlatformStats(tenants=TenantTotals(total=total, active=active), **dict(stats))

    # --- audit log ------------------------------------------------------------------------------

    async def audit_log(
        self,
        *,
        tenant: str | None,
        actor: str | None,
        action: str | None,
        page: int,
        page_size: int,
    ) -> AuditPage:
        tenant_id = None
        if tenant:
            tenant_id = (await self.tenant(tenant)).id
        entries, total = await AuditLog(self.session).page(
            AuditFilters(tenant_id=tenant_id, actor=actor, action=action),
            offset=(page - 1) * page_size,
            limit=page_size,
        )
        return AuditPage(
            items=[AuditEntryOut.of(entry) for entry in entries],
            total=total,
            page=page,
            page_size=page_size,
        )

    # --- jobs -----------------------------------------------------------------------------------

    async def jobs(self, status: str, page: int, page_size: int) -> JobPage:
        if status not in JOB_STATUS_FILTERS:
            raise ValidationFailed(
                f"status must be one of {', '.join(JOB_STATUS_FILTERS)}.",
                details=[{"field": "status", "issue": f"one of {', '.join(JOB_STATUS_FILTERS)}"}],
            )
        jobs, total = await JobRepository(self.session).page(
            status, offset=(page - 1) * page_size, limit=page_size
        )
        return JobPage(
            items=[JobOut.of(job) for job in jobs], total=total, page=page, page_size=page_size
        )

    async def retry_job(self, job_id: str) -> JobOut:
        """Run a dead (or failing) job again now, with a fresh set of attempts."""
        repo = JobRepository(self.session)
        job = await repo.get(job_id)
        if job is None:
            raise NotFound("Job not found.")
        if not await repo.requeue(job.id, utcnow()):
            raise NotRetryable(f"A {job.status} job cannot be retried.")
        record(
            self.session,
            self.actor,
            "job.retried",
            "job",
            job.id,
            tenant_id=job.tenant_id,
            before={"status": job.status, "attempts": job.attempts, "lastError": job.last_error},
        )
        after_commit(self.session, wake_signal.wake)
        await self.session.refresh(job)
        return JobOut.of(job)

    # --- webhook events ---------------------------------------------------------------------------

    async def webhook_events(
        self, status: str | None, page: int, page_size: int
    ) -> WebhookEventPage:
        if status is not None and status not in WebhookEventStatus.__members__:
            raise ValidationFailed(
                f"status must be one of {', '.join(WebhookEventStatus)}.",
                details=[{"field": "status", "issue": f"one of {', '.join(WebhookEventStatus)}"}],
            )
        events, total = await WebhookEventRepository(self.session).page(
            status, offset=(page - 1) * page_size, limit=page_size
        )
        return WebhookEventPage(
            items=[WebhookEventOut.of(event) for event in events],
            total=total,
            page=page,
            page_size=page_size,
        )

    async def retry_webhook_event(self, event_id: str) -> WebhookEventOut:
        """Process a failed webhook event again from its stored payload."""
        repo = WebhookEventRepository(self.session)
        event = await repo.get_by_id(event_id)
        if event is None:
            raise NotFound("Webhook event not found.")
        if event.status != WebhookEventStatus.failed:
            raise NotRetryable(f"Only failed events are retried; this one is {event.status}.")
        record(
            self.session,
            self.actor,
            "webhook_event.retried",
            "webhook_event",
            event.id,
            tenant_id=event.tenant_id,
            before={"status": event.status, "attempts": event.attempts},
        )
        # Processed in this request's transaction: the audit entry and the outcome commit
        # together (a handler failure leaves the event failed, with its retry job queued).
        await StripeWebhookService(self.container).process_in(self.session, event.id)
        await self.session.refresh(event)
        return WebhookEventOut.of(event)
