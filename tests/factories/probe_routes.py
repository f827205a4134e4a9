"""A test-only router with one route of each kind the error handling must cover."""

from __future__ import annotations

from fastapi import APIRouter, File, Request, UploadFile
from pydantic import BaseModel, Field

SECRET_IN_EXCEPTION = "postgresql://admin:hunter2@db.internal:5432/prod"


class Note(BaseModel):
    text: str = Field(min_length=1)
    count: int = 1


class OptionalNote(BaseModel):
    text: str = "none"


probe_router = APIRouter(prefix="/v1/test-probe")


@probe_router.post("/notes")
async def create_note(note: Note) -> dict[str, object]:
    return {"text": note.text, "count": note.count}


@probe_router.post("/maybe")
async def maybe_note(note: OptionalNote | None = None) -> dict[str, str]:
    return {"text": note.text if note else "no body"}


@probe_router.post("/photos")
async def upload(file: UploadFile = File(...)) -> dict[str, int]:
    return {"size": len(await file.read())}


@probe_router.post("/raw")
async def raw(request: Request) -> dict[str, int]:
    return {"size": len(await request.body())}


@probe_router.get("/crash")
async def crash() -> None:
    raise RuntimeError(f"could not reach {SECRET_IN_EXCEPTION}")
