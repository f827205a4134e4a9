"""The dev mailbox, `/dev/mailbox`: the outbox's messages as pages. Mock mode only; every
path answers 404 otherwise, so real customers' e-mails are never shown."""

from __future__ import annotations

import re
from importlib import resources

from fastapi import APIRouter
from starlette.responses import Response

from mais.adapters.email.outbox import OutboxEmail, StoredMessage
from mais.core.deps import ContainerDep
from mais.core.errors import NotFound
from mais.web.csp import PagePolicy, page_policy
from mais.web.templates import html_page, html_response

router = APIRouter(prefix="/dev/mailbox", include_in_schema=False)


def _page_policy() -> PagePolicy:
    """Our own pages: no scripts, our stylesheet, the message's HTML in a frame."""
    return page_policy(frames=["'self'"])


def _preview_policy() -> PagePolicy:
    """The HTML part is someone else's markup: no scripts, no forms, an opaque origin, and
    images only (e-mail HTML needs its inline styles); only the mailbox page frames it."""
    return page_policy(
        sandbox=True,
        images=["https:", "http:"],
        foreign_inline_styles=True,
        frame_ancestors=["'self'"],
    )


_NO_STORE = {"Cache-Control": "no-store"}
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def _outbox(container: ContainerDep) -> OutboxEmail:
    if not container.settings.mock_adapters or not isinstance(container.email, OutboxEmail):
        raise NotFound()
    return container.email


async def _message(container: ContainerDep, message_id: str) -> StoredMessage:
    message = await _outbox(container).read(message_id)
    if message is None:
        raise NotFound("Message not found.")
    return message


@router.get("")
async def mailbox(container: ContainerDep) -> Response:
    entries = await _outbox(container).list_messages()
    return html_page(
        "notifications/mailbox/list.html", policy=_page_policy(), headers=_NO_STORE, entries=entries
    )


@router.get("/mailbox.css")
async def mailbox_css(container: ContainerDep) -> Response:
    _outbox(container)
    css = resources.files("mais.notifications").joinpath("static/mailbox.css").read_bytes()
    return Response(css, media_type="text/css", headers={"Cache-Control": "max-age=300"})


@router.get("/{message_id}")
async def mailbox_message(container: ContainerDep, message_id: str) -> Response:
    message = await _message(container, message_id)
    return html_page(
        "notifications/mailbox/detail.html",
        policy=_page_policy(),
        headers=_NO_STORE,
        message=message,
    )


@router.get("/{message_id}/html")
async def mailbox_message_html(container: ContainerDep, message_id: str) -> Response:
    message = await _message(container, message_id)
    return html_response(message.html, policy=_preview_policy(), headers=_NO_STORE)


@router.get("/{message_id}/attachments/{index}")
async def mailbox_attachment(container: ContainerDep, message_id: str, index: int) -> Response:
    message = await _message(container, message_id)
    if not 0 <= index < len(message.attachments):
        raise NotFound("Attachment not found.")
    attachment = message.attachments[index]
    filename = _UNSAFE_FILENAME.sub("_", attachment.filename).strip("._") or "attachment"
    return Response(
        attachment.data,
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Content-Security-Policy": "default-src 'none'; sandbox",
            **_NO_STORE,
        },
    )
