"""Base class for API models: Python names in code, camelCase on the wire."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class ErrorBody(BaseModel):
    """The body of every error response (SPEC §4)."""

    error: str
    message: str
    requestId: str
    details: object | None = None
