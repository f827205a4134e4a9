"""Postmark's HTTP API (`POST /email`): the real e-mail adapter.

Postmark answers 200 with a MessageID, 422 with an `ErrorCode` when the message itself is
unacceptable (inactive recipient, invalid address or request) and 401/429/5xx for problems
that may pass; the first kind is permanent, the rest are retried by the job worker."""

from __future__ import annotations

import base64
import logging
from typing import Any

import httpx

from mais.adapters.email.port import (
    EmailMessage,
    EmailPort,
    EmailSendFailed,
    EmailUndeliverable,
    single_line,
)

log = logging.getLogger("mais.email")

DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
INACTIVE_RECIPIENT = 406


def sender_address(name: str | None, address: str) -> str:
    """`"Name" <address>` as Postmark expects it (quotes and backslashes escaped)."""
    if not name:
        return address
    quoted = single_line(name).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}" <{address}>'


class PostmarkEmail(EmailPort):
    backend = "postmark"

    def __init__(
        self,
        server_token: str,
        from_email: str,
        *,
        api_base: str = "https://api.postmarkapp.com",
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        message_stream: str = "outbound",
    ) -> None:
        self.from_email = from_email
        self.message_stream = message_stream
        self._client = httpx.AsyncClient(
            base_url=api_base.rstrip("/"),
            timeout=timeout,
            headers={
                "Accept": "application/json",
                "X-Postmark-Server-Token": server_token,
            },
        )

    def request_body(self, message: EmailMessage) -> dict[str, Any]:
        body: dict[str, Any] = {
            "From": sender_address(message.from_name, self.from_email),
            "To": message.to,
            "Subject": single_line(message.subject),
            "HtmlBody": message.html,
            "TextBody": message.text,
            "MessageStream": self.message_stream,
        }
        if message.reply_to:
            body["ReplyTo"] = message.reply_to
        if message.tag:
            body["Tag"] = message.tag
        if message.metadata:
            body["Metadata"] = dict(message.metadata)
        if message.attachments:
            body["Attachments"] = [
                {
                    "Name": attachment.filename,
                    "Content": base64.b64encode(attachment.data).decode("ascii"),
                    "ContentType": attachment.content_type,
                }
                for attachment in message.attachments
            ]
        return body

    async def send(self, message: EmailMessage) -> str:
        try:
            response = await self._client.post("/email", json=self.request_body(message))
        except httpx.TimeoutException as exc:
            raise EmailSendFailed(f"Postmark timed out: {exc.__class__.__name__}") from exc
        except httpx.HTTPError as exc:
            raise EmailSendFailed(f"Postmark unreachable: {exc.__class__.__name__}") from exc

        answer = _json_or_empty(response)
        error_code = answer.get("ErrorCode")
        detail = (
            f"Postmark {response.status_code} (ErrorCode {error_code}): {answer.get('Message')}"
        )
        if response.status_code == 200 and error_code in (0, None) and answer.get("MessageID"):
            return str(answer["MessageID"])
        if response.status_code == 422:
            # The message as composed will never be accepted (inactive recipient, invalid
            # address, forbidden attachment ...): the same request gives the same answer.
            log.warning("postmark refused message", extra={"error_code": error_code})
            raise EmailUndeliverable(detail)
        raise EmailSendFailed(detail)

    async def close(self) -> None:
        await self._client.aclose()


def _json_or_empty(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
