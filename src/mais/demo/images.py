"""Photos for the demo catalog, drawn locally (no downloads): soft gradients with bokeh
lights in each package's palette, so the widget looks like a real storefront."""

from __future__ import annotations

import io
import math
import random

from PIL import Image, ImageDraw, ImageFilter

Palette = tuple[tuple[int, int, int], tuple[int, int, int], tuple[int, int, int]]

PALETTES: dict[str, Palette] = {
    "garden": ((64, 94, 62), (196, 214, 170), (255, 236, 240)),
    "vineyard": ((92, 38, 52), (214, 160, 112), (255, 230, 190)),
    "elopement": ((46, 72, 110), (180, 200, 224), (255, 250, 235)),
    "ballroom": ((40, 32, 30), (190, 150, 90), (255, 226, 160)),
    "beach": ((24, 110, 140), (240, 220, 180), (255, 255, 240)),
}


def demo_photo(theme: str, seed: int, size: tuple[int, int] = (1600, 1067)) -> bytes:
    dark, mid, light = PALETTES[theme]
    width, height = size
    rng = random.Random(f"{theme}-{seed}")  # nosec B311 # noqa: S311 - deterministic art, not security
    gradient = Image.new("RGB", (1, height))
    for y in range(height):
        t = y / (height - 1)
        a, b = (dark, mid) if t < 0.6 else (mid, light)
        u = t / 0.6 if t < 0.6 else (t - 0.6) / 0.4
        gradient.putpixel((0, y), tuple(int(a[i] + (b[i] - a[i]) * u) for i in range(3)))
    image = gradient.resize((width, height))
    glow = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(glow)
    for _ in range(38):
        r = rng.randint(20, 110)
        x, y = rng.randint(0, width), rng.randint(0, int(height * 0.8))
        alpha = rng.randint(40, 120)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(*light, alpha))
    glow = glow.filter(ImageFilter.GaussianBlur(18))
    image = Image.alpha_composite(image.convert("RGBA"), glow)
    # A low horizon of hills or tables, so pictures differ in shape as well as colour.
    ground = ImageDraw.Draw(image)
    points = [(0, height)]
    for x in range(0, width + 80, 80):
        points.append((x, int(height * 0.78 + rng.randint(-40, 40))))
    points.append((width, height))
    ground.polygon(points, fill=(*dark, 235))
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=86)
    return out.getvalue()


def _leaf(
    cx: float, cy: float, angle: float, length: float, width: float
) -> list[tuple[float, float]]:
    """A lens-shaped leaf pointing along `angle` (radians) from its base at (cx, cy)."""
    points = []
    for step in range(21):
        t = step / 20
        half = width * math.sin(math.pi * t) / 2
        points.append((t * length, half))
    points += [(x, -y) for x, y in reversed(points)]
    cos, sin = math.cos(angle), math.sin(angle)
    return [(cx + x * cos - y * sin, cy + x * sin + y * cos) for x, y in points]


def demo_logo(
    ring: tuple[int, int, int] = (122, 92, 88), leaves: tuple[int, int, int] = (143, 115, 80)
) -> bytes:
    """A round emblem (a ring around two olive sprigs) on a transparent background."""
    size = 320
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((12, 12, size - 12, size - 12), outline=(*ring, 255), width=14)
    centre = size / 2
    for side in (-1, 1):
        # A curved stem from the bottom towards each upper side, leaves along it.
        stem = [
            (centre + side * 70 * math.sin(math.pi * t / 2), 250 - 170 * t)
            for t in (0, 0.25, 0.5, 0.75, 1)
        ]
        draw.line(stem, fill=(*leaves, 255), width=7, joint="curve")
        for n, (x, y) in enumerate(stem[1:], start=1):
            for turn in (-1, 1):
                angle = -math.pi / 2 + side * (0.35 + 0.5 * turn) - 0.12 * n * side
                draw.polygon(_leaf(x, y, angle, 58 - 6 * n, 24), fill=(*leaves, 255))
    draw.ellipse((centre - 14, 236, centre + 14, 264), fill=(*ring, 255))
    out = io.BytesIO()
    image.resize((160, 160), Image.Resampling.LANCZOS).save(out, format="PNG")
    return out.getvalue()
