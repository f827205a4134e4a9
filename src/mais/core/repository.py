"""The one place tenant scoping happens.

Every repository of tenant-owned rows derives from `TenantScopedRepository`: it is built
with the caller's tenant id and every statement it makes starts from `self.scoped()`,
so a query cannot forget the tenant filter. A row of another tenant is simply not
found, which the HTTP layer answers with 404.
"""

from __future__ import annotations

import uuid
from typing import Any, Generic, TypeVar

from sqlalchemy import Delete, Select, Update, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mais.core.changes import record_model_change
from mais.core.errors import NotFound
from mais.models.base import Base

M = TypeVar("M", bound=Base)


def escape_like(text: str) -> str:
    """`text` as a literal inside a LIKE pattern (used with `escape="\\"`)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def parse_uuid(value: str | uuid.UUID) -> uuid.UUID | None:
    """A path id that is not a UUID names nothing: callers answer 404, not 422."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return None


class TenantScopedRepository(Generic[M]):
    model: type[M]
    not_found_message = "Not found."

    def __init__(self, session: AsyncSession, tenant_id: uuid.UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    @property
    def _tenant_column(self) -> Any:
        return self.model.tenant_id  # type: ignore[attr-defined]

    def scoped(self, *entities: Any) -> Select[Any]:
        """`SELECT <entities or model> ... WHERE tenant_id = :tenant`."""
        return select(*(entities or (self.model,))).where(self._tenant_column == self.tenant_id)

    # Bulk statements bypass the unit of work, so they record the tenant's change here
    # (`mais.core.changes`); a statement built and never run costs one needless token.

    def scoped_update(self) -> Update:
        record_model_change(self.session, self.model, self.tenant_id)
        return update(self.model).where(self._tenant_column == self.tenant_id)

    def scoped_delete(self) -> Delete:
        record_model_change(self.session, self.model, self.tenant_id)
        return delete(self.model).where(self._tenant_column == self.tenant_id)

    async def get(self, id_: str | uuid.UUID, *options: Any) -> M | None:
        parsed = parse_uuid(id_)
        if parsed is None:
            return None
        stmt = self.scoped().where(self.model.id == parsed)  # type: ignore[attr-defined]
        if options:
            stmt = stmt.options(*options)
        result = await self.session.execute(stmt)
        return result.scalar_one_or_none()

    async def get_or_404(self, id_: str | uuid.UUID, *options: Any) -> M:
        found = await self.get(id_, *options)
        if found is None:
            raise NotFound(self.not_found_message)
        return found

    def add(self, obj: M) -> M:
        obj.tenant_id = self.tenant_id  # type: ignore[attr-defined]
        self.session.add(obj)
        return obj

    async def remove(self, obj: M) -> None:
        if obj.tenant_id != self.tenant_id:  # type: ignore[attr-defined]
            raise NotFound(self.not_found_message)
        await self.session.delete(obj)
