"""The e-mail interface: one multipart message (HTML + text + attachments) at a time."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field


class EmailUndeliverable(Exception):
    """The provider refused the message for good (inactive or invalid recipient, a request
    it will never accept): retrying the same message cannot help."""


class EmailSendFailed(Exception):
    """The message could not be handed over now (timeout, provider outage, rate limit,
    rejected credentials); a later attempt may succeed."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # may carry parameters: "text/calendar; charset=utf-8; method=REQUEST"
    data: bytes


@dataclass(frozen=True)
class EmailMessage:
    to: str
    subject: str
    html: str
    text: str
    from_name: str | None = None  # display name of the platform's sender address
    reply_to: str | None = None
    attachments: tuple[Attachment, ...] = ()
    tag: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


class EmailPort(abc.ABC):
    backend: str

    @abc.abstractmethod
    async def send(self, message: EmailMessage) -> str:
        """Deliver the message; returns the provider's message id. Raises
        EmailUndeliverable for permanent refusals, EmailSendFailed for transient ones."""

    async def close(self) -> None:  # noqa: B027 - optional hook, most adapters hold nothing
        """Release connections held by the adapter."""


def single_line(value: str) -> str:
    """Header values (subject, display names) must not carry line breaks."""
    return " ".join(value.split())
