"""Base class for API models: Python names in code, camelCase on the wire."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class ErrorBody(BaseModel):
    """The body of every error response (SPEC §4)."""

    error: str
    message: str
    requestId: str
    details: object | None = None


class PartialUpdate(ApiModel):
    """A PATCH/PUT body whose fields are all optional: only the fields sent change.
    A field sent as null is refused unless it is listed in `NULLABLE` (null clears it)."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.NULLABLE:
            raise PydanticCustomError("null_not_allowed", "may not be null")
        return value

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, by python name, with their validated values."""
        return {name: getattr(self, name) for name in self.model_fields_set}
