"""`mais serve` with no environment at all (what `make run` does on a fresh machine):
creates ./var, migrates, seeds the demo tenant once, prints where to go, and serves."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.factories.services import free_port

KEEP = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT"}


class Server:
    def __init__(self, workdir: Path, port: int) -> None:
        env = {k: v for k, v in os.environ.items() if k in KEEP}
        env["PORT"] = str(port)
        self.base = f"http://127.0.0.1:{port}"
        self.log = workdir / f"serve-{time.monotonic_ns()}.log"
        self._out = self.log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mais.cli", "serve"],
            cwd=workdir,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    def wait_until_up(self, timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"mais serve exited:\n{self.output()}")
            try:
                if httpx.get(f"{self.base}/health", timeout=1).status_code == 200:
                    return self.output()
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"mais serve did not answer /health:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._out.close()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path


def test_serve_with_no_environment_prints_urls_and_a_working_demo_key(workdir):
    port = free_port()
    first = Server(workdir, port)
    try:
        banner = first.wait_until_up()
        key = re.search(r"Demo public key\s+(pk_live_demo-tenant_[0-9a-f]{16})", banner)
        assert key is not None, banner
        for label in ("Booking widget", "Tenant dashboard", "Platform admin", "Health"):
            assert label in banner
        assert f"http://127.0.0.1:{port}/widget?tenant=demo-tenant" in banner
        assert "demo@maconaisolutions.com" in banner
        assert re.search(r"Demo secret key\s+sk_live_demo-tenant_[0-9a-f]{32,}", banner)

        packages = httpx.get(f"{first.base}/v1/packages", headers={"X-Tenant-Key": key.group(1)})
        assert packages.status_code == 200
        assert 3 <= len(packages.json()) <= 5
        assert httpx.get(f"{first.base}/health/cache").json()["connected"] is True
    finally:
        first.stop()
    assert (workdir / "var" / "mais.db").exists()
    assert any((workdir / "var" / "uploads").rglob("*.jpg"))

    second = Server(workdir, port)  # a restart seeds nothing new and keeps the key
    try:
        banner = second.wait_until_up()
        assert key.group(1) in banner
        assert "Demo secret key" not in banner
        again = httpx.get(f"{second.base}/v1/packages", headers={"X-Tenant-Key": key.group(1)})
        assert again.json() == packages.json()
    finally:
        second.stop()
