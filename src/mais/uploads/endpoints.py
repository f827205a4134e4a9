"""`GET /uploads/<key>`: stored photos and logos, when they live in the local directory.

Only the image types the app itself writes are served, with their own content type,
`nosniff` (from the middleware) and a year of caching (keys are never reused). With S3
storage the objects are served by the bucket or CDN and this route answers 404."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import FileResponse

from mais.adapters.storage import LocalStorage
from mais.adapters.storage.port import IMMUTABLE_CACHE
from mais.core.deps import ContainerDep
from mais.core.errors import NotFound

router = APIRouter(tags=["uploads"])


@router.get("/uploads/{key:path}", include_in_schema=False)
async def serve_upload(key: str, container: ContainerDep) -> FileResponse:
    storage = container.storage
    found = storage.servable(key) if isinstance(storage, LocalStorage) else None
    if found is None:
        raise NotFound()
    path, content_type = found
    return FileResponse(
        path,
        media_type=content_type,
        headers={"Cache-Control": IMMUTABLE_CACHE, "X-Content-Type-Options": "nosniff"},
    )
