"""`bandit` over the source, in the test suite (so CI runs it with everything else):
every finding is fixed or justified on its own line (`# nosec Bnnn # noqa: Snnn - why`);
the project-wide skips are in `[tool.bandit]` of pyproject.toml, with their reason."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bandit_finds_nothing_unjustified_in_src():
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-q", "-c", "pyproject.toml", "-r", "src", "-f", "json"],
        cwd=ROOT,
        capture_output=True,
        timeout=300,
        check=False,
    )
    report = json.loads(result.stdout)
    findings = [
        f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
        for r in report["results"]
    ]
    assert findings == [], "\n".join(findings)
    assert report["metrics"]["_totals"]["loc"] > 10_000  # it did scan the source
    assert report["errors"] == []
