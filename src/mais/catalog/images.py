"""Image intake for photos and logos: decode to prove it is an image, then re-encode.

Re-encoding from decoded pixels drops every metadata chunk (EXIF, GPS, XMP, text chunks
carrying scripts) and anything appended after the image data (polyglots)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from mais.core.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding them
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
LARGE_EDGE = 1600
THUMB_EDGE = 480


@dataclass(frozen=True)
class Rendition:
    data: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"
    extension: str = "jpg"


@dataclass(frozen=True)
class ProcessedImage:
    large: Rendition
    thumb: Rendition


def _open(data: bytes) -> Image.Image:
    if len(data) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge("Images must be 5 MB or smaller.")
    if not data:
        raise ValidationFailed("The file is empty.")
    try:
        probe = Image.open(io.BytesIO(data))
        fmt = probe.format
        if fmt not in ACCEPTED_FORMATS:
            raise UnsupportedMediaType("Only JPEG, PNG and WebP images are accepted.")
        if probe.width * probe.height > MAX_PIXELS:
            raise ValidationFailed("The image has too many pixels.")
        probe.verify()  # structural check; the image must be reopened after verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnsupportedMediaType(
            "The file is not a valid JPEG, PNG or WebP image.", code="INVALID_IMAGE"
        ) from exc
    except Image.DecompressionBombError as exc:
        raise ValidationFailed("The image has too many pixels.") from exc
    return ImageOps.exif_transpose(image) or image


def _render(image: Image.Image, edge: int, *, keep_alpha: bool) -> Rendition:
    copy = image.copy()
    copy.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if keep_alpha:
        copy = copy.convert("RGBA")
        copy.save(out, format="PNG", optimize=True)
        return Rendition(out.getvalue(), copy.width, copy.height, "image/png", "png")
    copy = copy.convert("RGB")
    copy.save(out, format="JPEG", quality=84, optimize=True, progressive=True)
    return Rendition(out.getvalue(), copy.width, copy.height)


def process_photo(data: bytes) -> ProcessedImage:
    image = _open(data)
    return ProcessedImage(
        large=_render(image, LARGE_EDGE, keep_alpha=False),
        thumb=_render(image, THUMB_EDGE, keep_alpha=False),
    )


def process_logo(data: bytes) -> Rendition:
    """Logos keep transparency (PNG) and are sized for a header."""
    image = _open(data)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    return _render(image, 600, keep_alpha=has_alpha)
