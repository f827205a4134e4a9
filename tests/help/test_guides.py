"""The tenant guides: every guide is served at /help/<slug> under a script-free CSP, every
internal link and image of the help pages resolves (anchors included), and the operator
docs' relative links point at files that exist."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import httpx
import pytest

from mais.help.guides import GUIDES, app_url, guides_folder, heading_anchor

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
HELP_PAGES = ["/help", *(f"/help/{guide.slug}" for guide in GUIDES)]


class LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self.scripts += 1
        for name in ("href", "src"):
            if values.get(name):
                self.links.append(str(values[name]))
        if values.get("id"):
            self.ids.add(str(values["id"]))


def parse(html: str) -> LinkCollector:
    collector = LinkCollector()
    collector.feed(html)
    return collector


def test_every_guide_file_is_listed_and_every_listed_guide_exists():
    on_disk = {path.stem for path in (DOCS / "guides").glob("*.md")}
    assert on_disk == {guide.slug for guide in GUIDES}


def test_the_packaged_guides_are_the_files_of_docs_guides():
    packaged = {entry.name: entry.read_text() for entry in guides_folder().iterdir()}
    for path in (DOCS / "guides").glob("*.md"):
        assert packaged[path.name] == path.read_text()


async def test_every_help_page_renders_without_scripts_and_names_the_support_address(
    client: httpx.AsyncClient, settings
):
    for page in HELP_PAGES:
        response = await client.get(page)
        assert response.status_code == 200, page
        policy = response.headers["content-security-policy"]
        assert "script-src" not in policy  # default-src 'none': no script can run
        assert "frame-ancestors 'none'" in policy
        html = response.text
        assert parse(html).scripts == 0
        assert f"mailto:{settings.support_email}" in html


async def test_every_internal_link_and_image_of_the_help_pages_resolves(
    client: httpx.AsyncClient,
):
    pages: dict[str, LinkCollector] = {}
    for page in HELP_PAGES:
        pages[page] = parse((await client.get(page)).text)
    checked: set[str] = set()
    broken: list[str] = []
    for page, collected in pages.items():
        for link in collected.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith("mailto:"):
                continue
            target, fragment = urldefrag(link)
            target = target or page
            if target not in checked:
                response = await client.get(target)
                if response.status_code != 200:
                    broken.append(f"{page}: {link} → {response.status_code}")
                checked.add(target)
            if fragment:
                ids = pages[target].ids if target in pages else set()
                if fragment not in ids:
                    broken.append(f"{page}: {link} → no #{fragment}")
    assert not broken, "\n".join(broken)
    assert any("/help/screenshots/" in link for c in pages.values() for link in c.links)


async def test_an_unknown_guide_or_screenshot_is_a_json_404(client: httpx.AsyncClient):
    for path in ("/help/nope", "/help/screenshots/..%2Fguides%2Fembed.md", "/help/static/x.css"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"] == "NOT_FOUND"


def test_guide_links_are_rewritten_for_the_app_and_stay_valid_on_the_repository():
    assert app_url("embed.md#wix") == "/help/embed#wix"
    assert app_url("../screenshots/widget-package-360.jpg") == (
        "/help/screenshots/widget-package-360.jpg"
    )
    assert app_url("https://stripe.com") == "https://stripe.com"
    assert app_url("/docs") == "/docs"
    # The same links, read as files next to the guide (how the repository shows them).
    for path in (DOCS / "guides").glob("*.md"):
        for link in markdown_links(path.read_text()):
            target, fragment = urldefrag(link)
            if urlsplit(link).scheme or link.startswith(("/", "mailto:")) or not target:
                continue
            assert (path.parent / target).exists(), f"{path.name}: {link}"
            if fragment and target.endswith(".md"):
                assert fragment in anchors_of(path.parent / target), f"{path.name}: {link}"


def test_raw_html_in_a_guide_is_shown_as_text():
    from mais.help.guides import _markdown

    html = _markdown().render("<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>")
    assert "<script" not in html
    assert "<img" not in html


# --- operator docs (docs/*.md, README.md) --------------------------------------------------

MARKDOWN_LINK = re.compile(r"(?<!\!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")
HTML_LINK = re.compile(r"""(?:href|src)="([^"]+)\"""")


def markdown_links(text: str) -> list[str]:
    without_code = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    without_code = re.sub(r"`[^`]*`", "", without_code)
    links = [a or b for a, b in MARKDOWN_LINK.findall(without_code)]
    return links + HTML_LINK.findall(without_code)


def anchors_of(path: Path) -> set[str]:
    headings = re.findall(r"^#+\s+(.+)$", path.read_text(), flags=re.MULTILINE)
    return {heading_anchor(heading) for heading in headings}


@pytest.mark.parametrize(
    "document", [*sorted(DOCS.glob("*.md")), ROOT / "README.md"], ids=lambda path: path.name
)
def test_relative_links_of_the_docs_point_at_existing_files(document: Path):
    broken = []
    for link in markdown_links(document.read_text()):
        target, fragment = urldefrag(link)
        if urlsplit(link).scheme or link.startswith(("/", "mailto:", "#")) or not target:
            continue
        resolved = document.parent / target
        missing_anchor = bool(fragment) and target.endswith(".md") and resolved.exists()
        if not resolved.exists() or (missing_anchor and fragment not in anchors_of(resolved)):
            broken.append(link)
    assert not broken, f"{document.name}: {broken}"
