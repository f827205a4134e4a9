"""The e-mail interface: one multipart message (HTML + text + attachments) at a time."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field


class EmailUndeliverable(Exception):
    """The provider refused the message for good (bad address): retrying cannot help."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class EmailMessage:
    to: str
    subject: str
    html: str
    text: str
    from_name: str | None = None
    reply_to: str | None = None
    attachments: tuple[Attachment, ...] = ()
    tag: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


class EmailPort(abc.ABC):
    backend: str

    @abc.abstractmethod
    async def send(self, message: EmailMessage) -> str:
        """Deliver the message; returns the provider's message id. Raises
        EmailUndeliverable for permanent refusals, other exceptions for transient ones."""
