"""The password-reset and invitation e-mails (HTML + plain text)."""

from __future__ import annotations

from html import escape

from mais.adapters.email.port import EmailMessage
from mais.auth.service import IssuedResetToken, PasswordPurpose, password_link
from mais.settings import Settings


def password_email(settings: Settings, issued: IssuedResetToken) -> EmailMessage:
    link = password_link(settings, issued)
    expires = issued.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    if issued.purpose is PasswordPurpose.invite:
        business = issued.tenant.name if issued.tenant else "MAIS"
        subject = f"You're invited to manage {business} on MAIS"
        intro = (
            f"An account was created for you to manage {business}'s bookings. "
            "Choose a password to log in."
        )
        action = "Choose your password"
    else:
        subject = "Reset your MAIS password"
        intro = (
            "Someone (hopefully you) asked to reset the password of this account. "
            "If it was not you, ignore this e-mail: your password stays as it is."
        )
        action = "Reset your password"
    text = (
        f"{intro}\n\n{action}: {link}\n\n"
        f"The link works once and expires at {expires}.\n\n"
        f"Questions? {settings.support_email}\n"
    )
    html = (
        '<!doctype html><html><body style="font-family:Georgia,serif;color:#222">'
        f"<p>{escape(intro)}</p>"
        f'<p><a href="{escape(link, quote=True)}" style="font-weight:bold">{escape(action)}</a></p>'
        f"<p>The link works once and expires at {escape(expires)}.</p>"
        f"<p>Questions? {escape(settings.support_email)}</p>"
        "</body></html>"
    )
    return EmailMessage(
        to=issued.user.email,
        subject=subject,
        html=html,
        text=text,
        from_name="MAIS",
        tag=f"password-{issued.purpose.value}",
    )
