"""docs/configuration.md is the Settings object written out, and `.env.example` agrees
with it: a new, renamed or undescribed setting fails here until both are updated
(`mais config-reference` rewrites the reference)."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from mais.cli import app
from mais.config_reference import (
    OPTIONAL,
    RECOMMENDED,
    reference_markdown,
    required_in_production,
    variable_names,
)
from mais.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "configuration.md"
ENV_EXAMPLE = ROOT / ".env.example"
VARIABLE_LINE = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]+)=")


def all_variables() -> set[str]:
    return {name for field in Settings.model_fields.values() for name in variable_names(field)}


def env_example_comments() -> dict[str, str]:
    """Each variable of .env.example with the comment lines right above it, joined."""
    lines = ENV_EXAMPLE.read_text().splitlines()
    found: dict[str, str] = {}
    for index, line in enumerate(lines):
        match = VARIABLE_LINE.match(line)
        if not match:
            continue
        block: list[str] = []
        above = index - 1
        while above >= 0 and lines[above].startswith("#") and not lines[above].startswith("# ---"):
            if VARIABLE_LINE.match(lines[above]):
                break
            block.insert(0, lines[above].lstrip("#").strip())
            above -= 1
        found[match.group(2)] = " ".join(block)
    return found


def test_every_setting_has_a_description_that_says_something():
    lacking = [
        name
        for name, field in Settings.model_fields.items()
        if not field.description or len(field.description) < 15
    ]
    assert not lacking, f"settings without a real description: {lacking}"


def test_the_configuration_reference_is_current():
    assert REFERENCE.read_text(encoding="utf-8") == reference_markdown(), (
        "docs/configuration.md is out of date: run `mais config-reference`"
    )


def test_the_reference_lists_every_variable_with_its_description():
    rows = [line for line in REFERENCE.read_text().splitlines() if line.startswith("| `")]
    for field in Settings.model_fields.values():
        for name in variable_names(field):
            row = next(line for line in rows if f"`{name}`" in line.split(" | ")[0])
            assert (field.description or "?").replace("|", "\\|") in row, name


def test_required_in_production_is_what_production_refuses_to_start_without():
    required = required_in_production()
    assert {
        "DATABASE_URL",
        "DIRECT_URL",
        "JWT_SECRET",
        "TENANT_SECRETS_ENCRYPTION_KEY",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "STRIPE_SUCCESS_URL",
        "STRIPE_CANCEL_URL",
        "ADMIN_EMAIL",
        "ADMIN_PASSWORD",
        "NODE_ENV",
        "PORT",
    } == required
    rows = {
        name: line
        for line in REFERENCE.read_text().splitlines()
        for name in all_variables()
        if line.startswith(f"| `{name}`")
    }
    for name in required - {"NODE_ENV"}:
        assert "**required**" in rows[name], name
    assert "**required**" not in rows["REDIS_URL"]


def test_the_checklist_tiers_name_real_settings():
    assert set(RECOMMENDED) | set(OPTIONAL) <= all_variables()


def test_env_example_names_only_settings_and_describes_each_like_the_settings():
    comments = env_example_comments()
    assert set(comments) <= all_variables(), set(comments) - all_variables()
    assert all_variables() <= set(comments), all_variables() - set(comments)
    for field in Settings.model_fields.values():
        for name in variable_names(field):
            assert comments[name].startswith(field.description or "?"), (
                f".env.example's comment of {name} is not the setting's description"
            )


def test_env_example_puts_every_production_requirement_in_its_required_section():
    text = ENV_EXAMPLE.read_text()
    required_section = text.split("# --- Required", 1)[1].split("# --- Recommended", 1)[0]
    listed = {
        m.group(2) for line in required_section.splitlines() if (m := VARIABLE_LINE.match(line))
    }
    assert required_in_production() <= listed


def test_the_command_writes_the_reference_and_checks_it(tmp_path):
    target = tmp_path / "configuration.md"
    runner = CliRunner()
    stale = runner.invoke(app, ["config-reference", "--check", "--output", str(target)])
    assert stale.exit_code == 1
    written = runner.invoke(app, ["config-reference", "--output", str(target)])
    assert written.exit_code == 0, written.output
    assert target.read_text() == reference_markdown()
    current = runner.invoke(app, ["config-reference", "--check", "--output", str(target)])
    assert current.exit_code == 0
