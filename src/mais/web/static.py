"""Our own static files (CSS, JavaScript) served from the package: content-hashed URLs
with a year of caching, strong ETags, and gzip prepared once at load.

Text responses that are built per request (HTML pages) are compressed with
`compress_body`. Brotli is not used: its extra saving on these small files is a few
hundred bytes and it would add a compiled dependency; a CDN in front may add it."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from importlib import resources

from starlette.responses import Response

from mais.adapters.storage.port import IMMUTABLE_CACHE as IMMUTABLE

# Below one TCP segment compression saves no round trip and costs CPU.
MIN_COMPRESS_BYTES = 1024
DYNAMIC_GZIP_LEVEL = 6  # per request: most of level 9's saving at a third of its cost

_CONTENT_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}


def accepts_gzip(accept_encoding: str | None) -> bool:
    if not accept_encoding:
        return False
    for part in accept_encoding.lower().split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def compress_body(body: bytes, accept_encoding: str | None) -> tuple[bytes, str | None]:
    """`body` gzip-compressed when the client accepts gzip and it is worth it."""
    if len(body) < MIN_COMPRESS_BYTES or not accepts_gzip(accept_encoding):
        return body, None
    return gzip.compress(body, DYNAMIC_GZIP_LEVEL, mtime=0), "gzip"


@dataclass(frozen=True, slots=True)
class StaticAsset:
    name: str  # "widget.css"
    hashed_name: str  # "widget.3f2a1b9c0d.css"
    content_type: str
    body: bytes
    gzipped: bytes
    etag: str

    @classmethod
    def load(cls, package: str, folder: str, name: str) -> StaticAsset:
        body = resources.files(package).joinpath(f"{folder}/{name}").read_bytes()
        digest = hashlib.sha256(body).hexdigest()
        stem, dot, extension = name.rpartition(".")
        return cls(
            name=name,
            hashed_name=f"{stem}.{digest[:10]}{dot}{extension}",
            content_type=_CONTENT_TYPES.get(f".{extension}", "application/octet-stream"),
            body=body,
            gzipped=gzip.compress(body, 9, mtime=0),
            etag=f'"{digest[:32]}"',
        )

    def response(
        self,
        *,
        if_none_match: str | None,
        accept_encoding: str | None,
        cache_control: str = IMMUTABLE,
    ) -> Response:
        """The file, or 304 when the client's copy is current. The ETag names the file's
        content; the encoding is told apart by `Vary`, as caches expect."""
        headers = {"ETag": self.etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding"}
        if if_none_match and self.etag in {tag.strip() for tag in if_none_match.split(",")}:
            return Response(status_code=304, headers=headers)
        body = self.body
        if accepts_gzip(accept_encoding) and len(self.gzipped) < len(self.body):
            body = self.gzipped
            headers["Content-Encoding"] = "gzip"
        return Response(body, headers=headers, media_type=self.content_type)


class StaticAssets:
    """The static files of one package folder, loaded once, addressed by hashed name."""

    def __init__(self, package: str, folder: str, names: tuple[str, ...], url_prefix: str) -> None:
        self.url_prefix = url_prefix.rstrip("/")
        self._by_name = {name: StaticAsset.load(package, folder, name) for name in names}
        self._by_hashed = {asset.hashed_name: asset for asset in self._by_name.values()}

    def __getitem__(self, name: str) -> StaticAsset:
        return self._by_name[name]

    def url(self, name: str) -> str:
        return f"{self.url_prefix}/{self._by_name[name].hashed_name}"

    def find(self, filename: str) -> tuple[StaticAsset, bool] | None:
        """The asset for a requested file name, and whether the name is the current one.
        An outdated hash (a page cached across a deploy) still gets today's file, but
        not for a year."""
        asset = self._by_hashed.get(filename)
        if asset is not None:
            return asset, True
        stem, _, extension = filename.rpartition(".")
        base = f"{stem.rpartition('.')[0]}.{extension}"
        asset = self._by_name.get(base)
        return (asset, False) if asset is not None else None
