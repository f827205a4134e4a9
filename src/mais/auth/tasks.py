"""Job `email.password_reset`: creates a reset (or invitation) token and e-mails its link.

The token is created here, not by the request, so the raw token is never stored (not even
in the job payload). A retry after a failed send creates another token; every token of the
user is used up by the first successful reset."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from mais.adapters.email.port import EmailUndeliverable
from mais.auth.emails import password_email
from mais.auth.service import PASSWORD_EMAIL_JOB, AuthService, PasswordPurpose
from mais.jobs.registry import PermanentJobError, job_handler

if TYPE_CHECKING:
    from mais.container import Container

log = logging.getLogger("mais.auth")


@job_handler(PASSWORD_EMAIL_JOB)
async def send_password_email(container: Container, payload: dict[str, Any]) -> None:
    port = container.email
    try:
        purpose = PasswordPurpose(payload["purpose"])
    except (KeyError, ValueError) as exc:
        raise PermanentJobError(f"bad payload: {payload!r}") from exc
    async with container.db.transaction() as session:
        issued = await AuthService(
            session, container.settings, container.rate_limiter
        ).issue_reset_token(
            purpose=purpose, user_id=payload.get("user_id"), email=payload.get("email")
        )
    if issued is None:
        log.info("password e-mail skipped: no active account", extra={"purpose": purpose.value})
        return
    try:
        await port.send(password_email(container.settings, issued))
    except EmailUndeliverable as exc:
        raise PermanentJobError(str(exc)) from exc
