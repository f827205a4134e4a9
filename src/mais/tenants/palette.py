"""A tenant's colours made readable: WCAG 2.1 contrast, automatic text colours, and the
theme the widget and e-mails paint with.

A tenant picks four brand colours; nothing guarantees they read well together. The
widget never shows text below 4.5:1 (WCAG AA, normal text) or controls below 3:1
(non-text contrast): text colours are chosen automatically, and a brand colour that is
too light or too dark for its role is shaded until it passes. `palette_problems` lists
what had to be changed, in words a tenant admin understands (the dashboard warns with it)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mais.tenants.branding import FONT_CHOICES, BrandingOut

AA_TEXT = 4.5
AA_NON_TEXT = 3.0
DARK_TEXT = "#111111"
LIGHT_TEXT = "#FFFFFF"
DEFAULT_FONT = "Georgia"
ERROR_RED = "#B3261E"

_HEX_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")


def safe_color(value: str | None, fallback: str) -> str:
    """`value` when it is a `#RRGGBB` colour (upper-cased), else `fallback`; the only
    colours that reach CSS."""
    return value.upper() if value and _HEX_COLOR.match(value) else fallback


def _channels(color: str) -> tuple[float, float, float]:
    return (int(color[1:3], 16) / 255, int(color[3:5], 16) / 255, int(color[5:7], 16) / 255)


def relative_luminance(color: str) -> float:
    """WCAG 2.1 relative luminance of `#RRGGBB` (0 black … 1 white)."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in _channels(color)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG contrast ratio, 1.0 (none) to 21.0 (black on white)."""
    a, b = relative_luminance(foreground), relative_luminance(background)
    lighter, darker = max(a, b), min(a, b)
    return (lighter + 0.05) / (darker + 0.05)


def readable_text_on(background: str) -> str:
    """The dark or light text colour that reads better on `background`."""
    if contrast_ratio(DARK_TEXT, background) >= contrast_ratio(LIGHT_TEXT, background):
        return DARK_TEXT
    return LIGHT_TEXT


def _mix(color: str, target: str, amount: float) -> str:
    mixed = [
        round((c + (t - c) * amount) * 255)
        for c, t in zip(_channels(color), _channels(target), strict=True)
    ]
    return "#" + "".join(f"{v:02X}" for v in mixed)


def shade_until_readable(color: str, background: str, minimum: float) -> str:
    """`color` itself when it reaches `minimum` contrast on `background`; otherwise the
    least darkened (or lightened, on dark backgrounds) version of it that does."""
    if contrast_ratio(color, background) >= minimum:
        return color
    target = "#000000" if readable_text_on(background) == DARK_TEXT else "#FFFFFF"
    for step in range(1, 21):
        candidate = _mix(color, target, step / 20)
        if contrast_ratio(candidate, background) >= minimum:
            return candidate
    return target


@dataclass(frozen=True, slots=True)
class Theme:
    """The colours and font the widget paints with, every pair readable."""

    background: str
    text: str
    muted: str
    primary: str  # buttons
    on_primary: str
    link: str  # brand colour used as text (headings, links, prices)
    accent: str  # selection rings, focus outlines, borders that matter
    surface: str  # cards and panels (the secondary colour)
    on_surface: str
    surface_link: str
    error: str  # error messages next to fields
    font_stack: str

    def css_variables(self) -> str:
        """`--name:value;` pairs for a `:root` rule. Every value is a validated colour or
        one of the fixed font stacks, so the text is safe inside a `<style>` element."""
        pairs = {
            "--bg": self.background,
            "--text": self.text,
            "--muted": self.muted,
            "--primary": self.primary,
            "--on-primary": self.on_primary,
            "--link": self.link,
            "--accent": self.accent,
            "--surface": self.surface,
            "--on-surface": self.on_surface,
            "--surface-link": self.surface_link,
            "--error": self.error,
            "--font": self.font_stack,
        }
        return "".join(f"{name}:{value};" for name, value in pairs.items())


@dataclass(frozen=True, slots=True)
class ContrastProblem:
    """One way the tenant's palette fails WCAG AA, and what the widget shows instead."""

    role: str
    foreground: str
    background: str
    ratio: float
    required: float
    used_instead: str

    @property
    def message(self) -> str:
        return (
            f"{self.role}: {self.foreground} on {self.background} has a contrast of "
            f"{self.ratio:.1f}:1, below the {self.required:g}:1 people need to read it. "
            f"The booking widget shows {self.used_instead} instead."
        )


def _palette(branding: BrandingOut) -> tuple[str, str, str, str]:
    return (
        safe_color(branding.background_color, "#FFFFFF"),
        safe_color(branding.primary_color, "#7A5C58"),
        safe_color(branding.secondary_color, "#F4ECE6"),
        safe_color(branding.accent_color, "#C8A97E"),
    )


def _behind_text(color: str) -> str:
    """`color` as a background for text: kept when dark or light text reads on it, else
    shaded (mid-tones such as #0079D3 reach 4.5:1 with neither black nor white)."""
    return shade_until_readable(color, readable_text_on(color), AA_TEXT)


def theme_of(branding: BrandingOut) -> Theme:
    page, primary, secondary, accent = _palette(branding)
    background = _behind_text(page)
    text = readable_text_on(background)
    button = _behind_text(primary)
    surface = _behind_text(secondary)
    return Theme(
        background=background,
        text=text,
        muted=shade_until_readable(_mix(text, background, 0.35), background, AA_TEXT),
        primary=button,
        on_primary=readable_text_on(button),
        link=shade_until_readable(primary, background, AA_TEXT),
        accent=shade_until_readable(accent, background, AA_NON_TEXT),
        surface=surface,
        on_surface=readable_text_on(surface),
        surface_link=shade_until_readable(primary, surface, AA_TEXT),
        error=shade_until_readable(ERROR_RED, background, AA_TEXT),
        font_stack=FONT_CHOICES.get(branding.font_family, FONT_CHOICES[DEFAULT_FONT]),
    )


def palette_problems(branding: BrandingOut) -> list[ContrastProblem]:
    """Every pairing of the tenant's own colours that fails WCAG AA (empty: all good).
    For the tenant dashboard's "palette fails contrast" warning."""
    background, primary, secondary, accent = _palette(branding)
    # (role, foreground, background, required, what the widget shows instead)
    checks = [
        (
            "Text on the background colour",
            readable_text_on(background),
            background,
            AA_TEXT,
            _behind_text(background),
        ),
        (
            "Button text on the primary colour",
            readable_text_on(primary),
            primary,
            AA_TEXT,
            _behind_text(primary),
        ),
        (
            "Text on the secondary colour (calendar, summaries)",
            readable_text_on(secondary),
            secondary,
            AA_TEXT,
            _behind_text(secondary),
        ),
        (
            "Headings and links in the primary colour",
            primary,
            background,
            AA_TEXT,
            shade_until_readable(primary, background, AA_TEXT),
        ),
        (
            "Links in the primary colour on the secondary colour",
            primary,
            secondary,
            AA_TEXT,
            shade_until_readable(primary, secondary, AA_TEXT),
        ),
        (
            "Selected dates and focus rings in the accent colour",
            accent,
            background,
            AA_NON_TEXT,
            shade_until_readable(accent, background, AA_NON_TEXT),
        ),
    ]
    return [
        ContrastProblem(role, fg, bg, round(contrast_ratio(fg, bg), 2), required, instead)
        for role, fg, bg, required, instead in checks
        if contrast_ratio(fg, bg) < required
    ]
