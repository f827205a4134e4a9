"""Autogenerate an Alembic revision from the models: `python scripts/new_migration.py "msg"`.

`--replace-initial` rewrites 0001 from scratch instead; allowed only while no database
outside development has been migrated (before the first production release)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command

from mais.migrations.runner import alembic_config, upgrade

VERSIONS = Path(__file__).resolve().parents[1] / "src" / "mais" / "migrations" / "versions"


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    replace = "--replace-initial" in sys.argv
    message = args[0] if args else "schema change"
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/gen.db"
        if replace:
            for old in VERSIONS.glob("0001_*.py"):
                old.unlink()
            command.revision(
                alembic_config(url), "initial schema", autogenerate=True, rev_id="0001"
            )
        else:
            upgrade(url)
            existing = sorted(p.name[:4] for p in VERSIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))
            rev_id = f"{int(existing[-1]) + 1:04d}" if existing else "0001"
            command.revision(alembic_config(url), message, autogenerate=True, rev_id=rev_id)
    ruff = Path(sys.executable).with_name("ruff")
    subprocess.run([ruff, "check", "--fix", "--quiet", VERSIONS], check=False)  # noqa: S603
    subprocess.run([ruff, "format", "--quiet", VERSIONS], check=True)  # noqa: S603


if __name__ == "__main__":
    main()
