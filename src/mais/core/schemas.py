"""Base class for API models: Python names in code, camelCase on the wire."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from mais.core.validation import MAX_TEXT_LENGTH, refuse_unsafe_text


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class InputModel(ApiModel):
    """Every request body. Whatever a field's own type says, no string anywhere in the body
    may hold control characters (tab and line breaks aside) or lone surrogates, or be longer
    than `MAX_TEXT_LENGTH`: 422, never a database error. Fields narrow this with the types
    of `mais.core.validation`; a test checks that every JSON body route uses this base."""

    model_config = ConfigDict(str_max_length=MAX_TEXT_LENGTH)

    @field_validator("*", mode="before")
    @classmethod
    def _safe_text(cls, value: Any) -> Any:
        return refuse_unsafe_text(value)


class ErrorBody(BaseModel):
    """The body of every error response (SPEC §4)."""

    error: str
    message: str
    requestId: str
    details: object | None = None


class PartialUpdate(InputModel):
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
