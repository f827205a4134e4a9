"""E-mail port: Postmark in real mode, an on-disk outbox in mock mode."""

from mais.adapters.email.port import (
    Attachment,
    EmailMessage,
    EmailPort,
    EmailSendFailed,
    EmailUndeliverable,
)

__all__ = ["Attachment", "EmailMessage", "EmailPort", "EmailSendFailed", "EmailUndeliverable"]
