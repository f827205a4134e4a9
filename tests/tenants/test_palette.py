"""WCAG contrast of a tenant's palette: readable text chosen automatically, brand colours
shaded until they pass, and the warnings a tenant admin will see."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mais.tenants.branding import FONT_CHOICES, BrandingOut
from mais.tenants.palette import (
    AA_NON_TEXT,
    AA_TEXT,
    contrast_ratio,
    palette_problems,
    readable_text_on,
    relative_luminance,
    safe_color,
    shade_until_readable,
    theme_of,
)

colors = st.integers(0, 0xFFFFFF).map(lambda n: f"#{n:06X}")


def branding(**colours: str) -> BrandingOut:
    values = {
        "primary_color": "#7A5C58",
        "secondary_color": "#F4ECE6",
        "accent_color": "#8F7350",
        "background_color": "#FFFFFF",
    } | colours
    return BrandingOut(name="Kiwi Events", font_family="Georgia", logo_url=None, **values)


def test_contrast_matches_the_wcag_reference_values():
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#FFFFFF", "#FFFFFF") == pytest.approx(1.0)
    assert contrast_ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)
    assert relative_luminance("#FFFFFF") == pytest.approx(1.0)


def test_text_is_dark_on_light_colours_and_light_on_dark_ones():
    assert readable_text_on("#F4ECE6") == "#111111"
    assert readable_text_on("#FFD700") == "#111111"
    assert readable_text_on("#1D4E89") == "#FFFFFF"
    assert readable_text_on("#7A5C58") == "#FFFFFF"


@settings(max_examples=300, deadline=None)
@given(background=colors, primary=colors, secondary=colors, accent=colors)
def test_every_pair_the_widget_paints_is_readable_whatever_the_palette(
    background, primary, secondary, accent
):
    theme = theme_of(
        branding(
            background_color=background,
            primary_color=primary,
            secondary_color=secondary,
            accent_color=accent,
        )
    )

    assert contrast_ratio(theme.text, theme.background) >= AA_TEXT
    assert contrast_ratio(theme.muted, theme.background) >= AA_TEXT
    assert contrast_ratio(theme.on_primary, theme.primary) >= AA_TEXT
    assert contrast_ratio(theme.link, theme.background) >= AA_TEXT
    assert contrast_ratio(theme.on_surface, theme.surface) >= AA_TEXT
    assert contrast_ratio(theme.surface_link, theme.surface) >= AA_TEXT
    assert contrast_ratio(theme.error, theme.background) >= AA_TEXT
    assert contrast_ratio(theme.accent, theme.background) >= AA_NON_TEXT


def test_a_brand_colour_that_already_reads_well_is_kept_as_it_is():
    assert shade_until_readable("#7A5C58", "#FFFFFF", AA_TEXT) == "#7A5C58"
    assert theme_of(branding()).link == "#7A5C58"


def test_a_good_palette_has_no_problems():
    assert palette_problems(branding()) == []


def test_a_pale_palette_gets_warnings_in_plain_words_with_what_is_shown_instead():
    problems = palette_problems(
        branding(primary_color="#FFD700", secondary_color="#FFFF00", accent_color="#EEEEEE")
    )

    roles = [problem.role for problem in problems]
    assert "Headings and links in the primary colour" in roles
    assert "Selected dates and focus rings in the accent colour" in roles
    link = problems[roles.index("Headings and links in the primary colour")]
    assert link.ratio < AA_TEXT
    assert contrast_ratio(link.used_instead, "#FFFFFF") >= AA_TEXT
    assert "below the 4.5:1" in link.message
    assert link.used_instead in link.message


def test_unsafe_colour_and_font_values_never_reach_the_css():
    theme = theme_of(
        BrandingOut(
            name="x",
            primary_color="red;}body{display:none",
            secondary_color="#FFF",
            accent_color="</style><script>",
            background_color="#FFFFFF",
            font_family="Comic'; } *{x",
            logo_url=None,
        )
    )

    css = theme.css_variables()
    assert "display" not in css
    assert "<" not in css
    assert theme.font_stack == FONT_CHOICES["Georgia"]
    assert safe_color("#abcdef", "#000000") == "#ABCDEF"
