"""The configuration reference (`docs/configuration.md`), written from the Settings object
so that it cannot drift: every variable, its default, whether production refuses to start
without it, and its description. `mais config-reference` writes it; a test compares it.

"Required in production" is not a second list to keep in step: it is read from what
`Settings.problems()` reports for an empty production configuration."""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from mais.settings import Environment, Settings

# The deployment checklist's tiers for variables that production does not insist on.
RECOMMENDED = ("REDIS_URL", "POSTMARK_SERVER_TOKEN", "POSTMARK_FROM_EMAIL", "SENTRY_DSN")
OPTIONAL = ("GOOGLE_CALENDAR_ID", "GOOGLE_SERVICE_ACCOUNT_JSON_BASE64", "FRONTEND_URL")

_REQUIRED = re.compile(r"^([A-Z][A-Z0-9_]*) is required (in production|with ADAPTERS_PRESET=real)")

HEADER = """\
# Configuration reference

<!-- Generated from mais.settings.Settings by `mais config-reference`; do not edit by hand.
     tests/test_config_reference.py fails when this file and the settings disagree. -->

MAIS reads its configuration once, at start, from environment variables (and a `.env`
file in the working directory, if there is one). Names are case-sensitive; an empty value
counts as unset. Copy [.env.example](../.env.example) to start.

With no variables at all MAIS runs in development: an embedded SQLite database under
`DATA_DIR`, an in-process cache and mock adapters (payments, e-mail, calendar, storage).
With `NODE_ENV=production` it refuses to start while a variable marked **required** below
is missing or still holds a placeholder, and names each one (`mais doctor` prints the same
list). `ADAPTERS_PRESET=real` (the default in production) requires the Stripe variables in
any environment.

Tiers follow the deployment checklist: **required** (production will not start without
it), *recommended* (enables full features), *optional* (graceful fallback when unset);
the rest have working defaults.

| Variable | Default | In production | Description |
|---|---|---|---|
"""

FOOTER = """
Secrets (`JWT_SECRET`, `TENANT_SECRETS_ENCRYPTION_KEY`, `STRIPE_*`, `POSTMARK_SERVER_TOKEN`,
`S3_SECRET_ACCESS_KEY`, `ADMIN_PASSWORD`, `METRICS_TOKEN`, database passwords) belong in
the hosting platform's secret manager, never in Git. How to rotate them: [runbook](runbook.md).
"""


def variable_names(field: FieldInfo) -> list[str]:
    alias = field.validation_alias
    choices = getattr(alias, "choices", None)
    names = choices if choices is not None else [alias]
    return [name for name in names if isinstance(name, str)]


def required_in_production() -> set[str]:
    """Variables whose absence `Settings.problems()` reports in production."""
    empty = Settings.model_construct(app_env=Environment.production)
    found = {m.group(1) for p in empty.problems() if (m := _REQUIRED.match(p))}
    return found | {"NODE_ENV"}  # what makes the configuration a production one


def default_text(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value: Any = field.default_factory()  # type: ignore[call-arg]
        if isinstance(value, Path):
            return "`./var`" if value == Path.cwd() / "var" else f"`{value}`"
        return "none" if not value else f"`{value}`"
    value = field.default
    if value is PydanticUndefined or value is None:
        return "unset"
    if isinstance(value, Enum):
        value = value.value
    return f"`{value}`"


def tier_text(names: list[str], required: set[str]) -> str:
    if required.intersection(names):
        return "**required**"
    if set(RECOMMENDED).intersection(names):
        return "*recommended*"
    if set(OPTIONAL).intersection(names):
        return "*optional*"
    return ""


def reference_markdown() -> str:
    required = required_in_production()
    rows = []
    for field in Settings.model_fields.values():
        names = variable_names(field)
        shown = " / ".join(f"`{name}`" for name in sorted(names, key=lambda n: n != "NODE_ENV"))
        description = (field.description or "").replace("|", "\\|")
        rows.append(
            f"| {shown} | {default_text(field)} | {tier_text(names, required)} | {description} |"
        )
    return HEADER + "\n".join(rows) + "\n" + FOOTER


def write_reference(path: Path) -> bool:
    """Write the reference to `path`; True when the file changed."""
    text = reference_markdown()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True
