"""The tenant guides: Markdown files in `docs/guides/` (packaged as `mais/help/guides`, a
link to that folder), rendered to HTML for `/help/<slug>`.

Links are written so that they work both on the repository's file view and in the app:
`other-guide.md#part` becomes `/help/other-guide#part` and `../screenshots/<file>` becomes
`/help/screenshots/<file>`. Raw HTML in the Markdown is not rendered (it is shown as
text), so a guide cannot carry a script past the page's CSP."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

HELP_PREFIX = "/help"
SCREENSHOTS_URL = f"{HELP_PREFIX}/screenshots"
_SCREENSHOT_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*\.(jpg|png)$")
_HEADING_TAGS = ("h2", "h3")


@dataclass(frozen=True, slots=True)
class GuideInfo:
    slug: str
    title: str
    summary: str


# The order of the help index; each slug is a file `<slug>.md` in docs/guides/.
GUIDES: tuple[GuideInfo, ...] = (
    GuideInfo(
        "onboarding",
        "Getting started",
        "From your invitation to your first paid booking, step by step.",
    ),
    GuideInfo(
        "packages",
        "Packages, photos and add-ons",
        "Prices, photos, extras, publishing, reordering and archiving.",
    ),
    GuideInfo(
        "branding",
        "Branding your booking page",
        "Colours, the contrast check, fonts and your logo.",
    ),
    GuideInfo(
        "embed",
        "Putting the widget on your website",
        "The snippets, their options and events, and where to paste them "
        "(WordPress, Squarespace, Wix, plain HTML).",
    ),
    GuideInfo(
        "troubleshooting",
        "Troubleshooting and FAQ",
        "The widget does not show, payments, e-mails, unavailable dates, refunds.",
    ),
)
_BY_SLUG = {guide.slug: guide for guide in GUIDES}


@dataclass(frozen=True, slots=True)
class RenderedGuide:
    info: GuideInfo
    html: str


def guides_folder() -> Traversable:
    return resources.files("mais.help").joinpath("guides")


def screenshots_folder() -> Traversable:
    return resources.files("mais.help").joinpath("screenshots")


def guide_info(slug: str) -> GuideInfo | None:
    return _BY_SLUG.get(slug)


def screenshot(name: str) -> tuple[bytes, str] | None:
    """A screenshot's bytes and content type, for a plain file name only."""
    if not _SCREENSHOT_NAME.match(name):
        return None
    file = screenshots_folder().joinpath(name)
    if not file.is_file():
        return None
    content_type = "image/png" if name.endswith(".png") else "image/jpeg"
    return file.read_bytes(), content_type


@cache
def _markdown() -> MarkdownIt:
    # CommonMark without raw HTML, plus tables.
    return MarkdownIt("commonmark", {"html": False}).enable("table")


@cache
def rendered_guide(slug: str) -> RenderedGuide | None:
    """The guide as HTML (rendered once per process: the files ship with the code)."""
    info = _BY_SLUG.get(slug)
    if info is None:
        return None
    source = guides_folder().joinpath(f"{slug}.md").read_text(encoding="utf-8")
    md = _markdown()
    tokens = md.parse(source)
    _link_for_the_app(tokens)
    _anchor_headings(tokens)
    return RenderedGuide(info=info, html=md.renderer.render(tokens, md.options, {}))


def app_url(target: str) -> str:
    """Where a link written in a guide's Markdown points when the guide is served."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith(("/", "#", "mailto:")):
        return target
    path = parts.path
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    if path.startswith("../screenshots/"):
        return f"{SCREENSHOTS_URL}/{path.removeprefix('../screenshots/')}"
    if path.endswith(".md") and "/" not in path:
        return f"{HELP_PREFIX}/{path.removesuffix('.md')}{fragment}"
    return target


def _link_for_the_app(tokens: list[Token]) -> None:
    for token in _all_tokens(tokens):
        if token.type == "link_open":
            href = token.attrGet("href")
            if isinstance(href, str):
                token.attrSet("href", app_url(href))
        elif token.type == "image":
            src = token.attrGet("src")
            if isinstance(src, str):
                token.attrSet("src", app_url(src))
                token.attrSet("loading", "lazy")


def heading_anchor(text: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    lowered = text.strip().lower()
    kept = re.sub(r"[^\w\- ]", "", lowered)
    return kept.replace(" ", "-")


def _anchor_headings(tokens: list[Token]) -> None:
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag in _HEADING_TAGS:
            inline = tokens[index + 1]
            token.attrSet("id", heading_anchor(inline.content))


def _all_tokens(tokens: list[Token]) -> list[Token]:
    found: list[Token] = []
    for token in tokens:
        found.append(token)
        if token.children:
            found.extend(_all_tokens(token.children))
    return found
