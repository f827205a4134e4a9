"""Mock e-mail: every message becomes a real `.eml` file (built with the standard library's
`email` package) in the outbox directory, listed in `index.jsonl` for the dev mailbox."""

from __future__ import annotations

import asyncio
import email
import email.message
import email.policy
import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.utils import format_datetime, make_msgid
from pathlib import Path

from mais.adapters.email.port import Attachment, EmailMessage, EmailPort, single_line

INDEX_FILE = "index.jsonl"
# Python folds long headers as "Subject:\n <value>", which readers unfold with a leading
# space; RFC 5322's 998-character line limit avoids folding for any realistic subject.
_WRITE_POLICY = email.policy.default.clone(max_line_length=998)
MESSAGE_ID = re.compile(r"^[0-9]{8}T[0-9]{12}-[0-9a-f]{8}$")


@dataclass(frozen=True)
class OutboxEntry:
    """One line of the index: enough to list a message without parsing it."""

    id: str
    to: str
    subject: str
    sent_at: datetime
    tag: str | None
    attachments: tuple[str, ...]


@dataclass(frozen=True)
class StoredMessage:
    id: str
    sender: str
    to: str
    reply_to: str | None
    subject: str
    sent_at: datetime | None
    text: str
    html: str
    attachments: tuple[Attachment, ...]


def new_message_id(now: datetime) -> str:
    """Sortable by time, unguessable enough for a dev mailbox, safe as a file name."""
    return f"{now:%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}"


def _content_type_parts(content_type: str) -> tuple[str, str, dict[str, str]]:
    header = email.message.Message()
    header["Content-Type"] = content_type
    params = dict((header.get_params(unquote=True) or [])[1:])
    return header.get_content_maintype(), header.get_content_subtype(), params


def build_mime(
    message: EmailMessage, *, from_email: str, message_id: str, sent_at: datetime
) -> email.message.EmailMessage:
    """multipart/mixed( multipart/alternative(text, html), attachments... )."""
    mime = email.message.EmailMessage()
    mime["Message-ID"] = make_msgid(idstring=message_id, domain="outbox.mais.local")
    mime["Date"] = format_datetime(sent_at)
    username, _, domain = from_email.partition("@")
    mime["From"] = Address(
        display_name=single_line(message.from_name or ""), username=username, domain=domain
    )
    mime["To"] = single_line(message.to)
    if message.reply_to:
        mime["Reply-To"] = single_line(message.reply_to)
    mime["Subject"] = single_line(message.subject)
    if message.tag:
        mime["X-MAIS-Tag"] = single_line(message.tag)
    if message.metadata:
        mime["X-MAIS-Metadata"] = json.dumps(message.metadata, sort_keys=True)
    mime.set_content(message.text)
    mime.add_alternative(message.html, subtype="html")
    for attachment in message.attachments:
        maintype, subtype, params = _content_type_parts(attachment.content_type)
        mime.add_attachment(
            attachment.data,
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
            params=params,
        )
    return mime


class OutboxEmail(EmailPort):
    backend = "outbox"

    def __init__(self, directory: Path, from_email: str) -> None:
        self.directory = directory
        self.from_email = from_email

    @property
    def index_path(self) -> Path:
        return self.directory / INDEX_FILE

    async def send(self, message: EmailMessage) -> str:
        sent_at = datetime.now(UTC)
        message_id = new_message_id(sent_at)
        mime = build_mime(
            message, from_email=self.from_email, message_id=message_id, sent_at=sent_at
        )
        entry: dict[str, object] = {
            "id": message_id,
            "to": message.to,
            "subject": single_line(message.subject),
            "sentAt": sent_at.isoformat(),
            "tag": message.tag,
            "attachments": [a.filename for a in message.attachments],
        }
        await asyncio.to_thread(self._write, message_id, mime.as_bytes(policy=_WRITE_POLICY), entry)
        return message_id

    def _write(self, message_id: str, raw: bytes, entry: dict[str, object]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{message_id}.eml"
        tmp = path.with_suffix(".eml.tmp")
        tmp.write_bytes(raw)
        os.replace(tmp, path)
        # One short line per message in append mode: concurrent workers do not interleave.
        with self.index_path.open("a", encoding="utf-8") as index:
            index.write(json.dumps(entry) + "\n")

    async def list_messages(self, limit: int = 200) -> list[OutboxEntry]:
        """Newest first."""
        return await asyncio.to_thread(self._read_index, limit)

    def _read_index(self, limit: int) -> list[OutboxEntry]:
        try:
            lines = self.index_path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        entries: list[OutboxEntry] = []
        for line in reversed(lines):
            try:
                data = json.loads(line)
                entries.append(
                    OutboxEntry(
                        id=str(data["id"]),
                        to=str(data["to"]),
                        subject=str(data["subject"]),
                        sent_at=datetime.fromisoformat(data["sentAt"]),
                        tag=data.get("tag"),
                        attachments=tuple(data.get("attachments", ())),
                    )
                )
            except (ValueError, KeyError, TypeError):
                continue  # a torn last line after a crash is skipped, not fatal
            if len(entries) >= limit:
                break
        return entries

    async def read(self, message_id: str) -> StoredMessage | None:
        if not MESSAGE_ID.match(message_id):
            return None
        path = self.directory / f"{message_id}.eml"
        try:
            raw = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None
        return parse_stored(message_id, raw)


def parse_stored(message_id: str, raw: bytes) -> StoredMessage:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    text_part = parsed.get_body(preferencelist=("plain",))
    html_part = parsed.get_body(preferencelist=("html",))
    attachments = tuple(
        Attachment(
            filename=part.get_filename() or "attachment",
            content_type=str(part["Content-Type"] or "application/octet-stream"),
            data=_payload_bytes(part),
        )
        for part in parsed.iter_attachments()
        if isinstance(part, email.message.EmailMessage)
    )
    date_header = parsed["Date"]
    return StoredMessage(
        id=message_id,
        sender=_header(parsed, "From"),
        to=_header(parsed, "To"),
        reply_to=_header(parsed, "Reply-To") or None,
        subject=_header(parsed, "Subject"),
        sent_at=getattr(date_header, "datetime", None),
        text=str(text_part.get_content()) if text_part is not None else "",
        html=str(html_part.get_content()) if html_part is not None else "",
        attachments=attachments,
    )


def _payload_bytes(part: email.message.EmailMessage) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _header(message: email.message.EmailMessage, name: str) -> str:
    return str(message[name] or "").strip()
