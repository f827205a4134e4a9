"""Image intake for photos and logos: decode to prove it is an image, then re-encode.

Re-encoding from decoded pixels drops every metadata chunk (EXIF, GPS, XMP, text chunks
carrying scripts); a file with data appended after the image (a polyglot) is refused."""

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
        _refuse_trailing_data(data, fmt)
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnsupportedMediaType(
            "The file is not a valid JPEG, PNG or WebP image.", code="INVALID_IMAGE"
        ) from exc
    except Image.DecompressionBombError as exc:
        raise ValidationFailed("The image has too many pixels.") from exc
    return ImageOps.exif_transpose(image) or image


def _refuse_trailing_data(data: bytes, fmt: str) -> None:
    """Refuse polyglots: bytes after the end of the image (an appended HTML page, ZIP
    archive or script) mean the file is something else as well. Zero padding and further
    JPEG images (the multi-picture format of phone cameras) are what cameras append."""
    end = _image_end(data, fmt)
    if end is None:
        raise UnsupportedMediaType(
            "The file is not a valid JPEG, PNG or WebP image.", code="INVALID_IMAGE"
        )
    rest = data[end:]
    if rest.strip(b"\x00") and not (fmt == "JPEG" and rest.startswith(b"\xff\xd8")):
        raise UnsupportedMediaType(
            "The file contains data after the image; upload a plain image.",
            code="INVALID_IMAGE",
        )


def _image_end(data: bytes, fmt: str) -> int | None:
    """Offset just past the image's last byte, or None when its structure is broken."""
    if fmt == "PNG":
        return _png_end(data)
    if fmt == "WEBP":
        if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
            return None
        size = int.from_bytes(data[4:8], "little")
        return 8 + size + (size & 1)
    return _jpeg_end(data)


def _png_end(data: bytes) -> int | None:
    pos = 8  # signature
    while pos + 12 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        chunk_type = data[pos + 4 : pos + 8]
        pos += 12 + length
        if chunk_type == b"IEND":
            return pos
    return None


def _jpeg_end(data: bytes) -> int | None:
    """Walk the JPEG's segments to its end-of-image marker (EXIF thumbnails inside APP1
    carry their own EOI, so a plain search for FFD9 would stop too early)."""
    if data[:2] != b"\xff\xd8":
        return None
    pos, size = 2, len(data)
    while pos + 1 < size:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:
            return pos + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            pos += 2
            continue
        if pos + 4 > size:
            return None
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker == 0xDA:  # start of scan: entropy-coded data runs to the next marker
            while pos + 1 < size:
                if (
                    data[pos] == 0xFF
                    and data[pos + 1] != 0x00
                    and not 0xD0 <= data[pos + 1] <= 0xD7
                ):
                    break
                pos += 1
    return None


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
