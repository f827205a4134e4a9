"""What every benchmark shares: a fresh PostgreSQL database migrated and seeded through the
product's services, `mais serve` started as in production, `wrk` with a JSON reporter, and
the resident memory of each server worker process.

Needs `wrk` (Debian package) and local PostgreSQL and Redis (BENCH_DATABASE_URL,
BENCH_REDIS_URL override the defaults)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
MAIS = str(Path(PYTHON).with_name("mais"))
BASE_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def fresh_database(base_url: str, name: str, template: str | None = None) -> str:
    """Database `name`, empty or a copy of `template`, replacing any earlier one."""
    url = make_url(base_url).set(drivername="postgresql+psycopg")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        copy = f' TEMPLATE "{template}"' if template else ""
        connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    admin.dispose()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


def production_env(database_url: str, redis_url: str, port: int, workers: int) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR", "PYTHONPATH")
    }
    env.update(
        {
            "NODE_ENV": "production",
            "ADAPTERS_PRESET": "real",
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "WEB_CONCURRENCY": str(workers),
            "DATABASE_URL": database_url,
            "DIRECT_URL": database_url,
            "REDIS_URL": redis_url,
            "JWT_SECRET": os.urandom(32).hex(),
            "TENANT_SECRETS_ENCRYPTION_KEY": os.urandom(32).hex(),
            # Shaped like real values; the read paths never call Stripe.
            "STRIPE_SECRET_KEY": "sk_test_" + "b3nch" * 6,
            "STRIPE_WEBHOOK_SECRET": "whsec_" + "b3nch" * 6,
            "STRIPE_SUCCESS_URL": "https://bench.invalid/success",
            "STRIPE_CANCEL_URL": "https://bench.invalid/cancel",
            "ADMIN_EMAIL": "bench-admin@mais-bench.localhost",
            "ADMIN_PASSWORD": "bench-" + os.urandom(8).hex(),
            "LOG_LEVEL": "info",
            "RATE_LIMIT_API_PER_MINUTE": "100000000",
            "DATA_DIR": tempfile.mkdtemp(prefix="mais-bench-"),
        }
    )
    return env


@dataclass
class Prepared:
    env: dict[str, str]
    port: int
    database_url: str
    tenants: list[dict[str, Any]]  # slug, id, public_key, secret_key, package_ids
    logs: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


# A seeded database is kept as a PostgreSQL template, `mais_bench_tpl_<T>x<P>`, with what a
# later run needs beside it (the tenants' keys, the secrets they were made with): the next
# run of the same size copies it instead of seeding again (10,000 tenants take minutes).
# Photos live under the kept DATA_DIR. The notes are kept in one place whatever TMPDIR says,
# as the templates are: a run under another TMPDIR would otherwise seed the template anew
# and leave the first place's notes naming keys it no longer holds.
TEMPLATES = Path.home() / ".cache" / "mais-bench-templates"
KEPT_ENV = ("JWT_SECRET", "TENANT_SECRETS_ENCRYPTION_KEY", "ADMIN_PASSWORD", "DATA_DIR")


def prepare(
    name: str, *, tenants: int, packages: int, workers: int, env: dict[str, str] | None = None
) -> Prepared:
    """A fresh database `name`, migrated, with the platform admin and `tenants` tenants of
    `packages` packages each (through the services), and an empty Redis database. The
    seeded state is copied from the template of that size when there is one (BENCH_FRESH=1
    seeds anew)."""
    template = f"mais_bench_tpl_{tenants}x{packages}"
    saved = TEMPLATES / f"{template}.json"
    port = free_port()
    reuse = saved.exists() and not os.environ.get("BENCH_FRESH")
    database_url = fresh_database(BASE_DATABASE_URL, name, template if reuse else None)
    environment = production_env(database_url, REDIS_URL, port, workers) | (env or {})
    if reuse:
        kept = json.loads(saved.read_text())
        environment |= kept["env"]
        created = kept["tenants"]
    subprocess.run([MAIS, "migrate"], env=environment, check=True, capture_output=True)
    subprocess.run([MAIS, "seed"], env=environment, check=True, capture_output=True)
    subprocess.run(["redis-cli", "-u", REDIS_URL, "flushdb"], check=True, capture_output=True)
    if not reuse:
        seeded = subprocess.run(
            [PYTHON, str(HERE / "seed_data.py"), str(tenants), str(packages)],
            env=environment,
            check=True,
            capture_output=True,
            text=True,
        )
        created = json.loads(seeded.stdout.strip().splitlines()[-1])
        fresh_database(BASE_DATABASE_URL, template, name)
        TEMPLATES.mkdir(parents=True, exist_ok=True)
        kept_env = {key: environment[key] for key in KEPT_ENV}
        saved.write_text(json.dumps({"env": kept_env, "tenants": created}))
    logs = Path(tempfile.mkdtemp(prefix=f"{name}-logs-"))
    return Prepared(environment, port, database_url, created, logs)


# The load — the server under test and wrk — runs a step below the datastores in the CPU
# scheduler. Deployed, PostgreSQL and Redis have CPUs of their own; here they share two
# CPUs with a server kept busy, and with Linux's per-session CPU groups (autogroup) Redis
# was left waiting to run for up to seconds at a time: in one 60-second catalog run it
# waited 21 s on the run queue and ran for 80 ms (/proc/<pid>/task/*/schedstat). MAIS saw
# that as Redis timeouts (and fell back to the database for 2 s each time), the benchmark
# as stalls of 0.25-2 s that the ceiling app, which uses no Redis, never had. In a session
# of its own with autogroup nice 5 (plain nice where the kernel has no autogroup), the load
# leaves the datastores the CPU they ask for. The ceiling app runs the same way.
LOAD_NICE = 5


def _run_as_load() -> None:
    os.setsid()
    try:
        Path("/proc/self/autogroup").write_text(str(LOAD_NICE))
    except OSError:
        os.nice(LOAD_NICE)


@contextmanager
def server(argv: list[str], env: dict[str, str], port: int, log_path: Path) -> Iterator[Any]:
    with log_path.open("w") as log:
        process = subprocess.Popen(
            argv, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_run_as_load
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=1)
                    break
                except OSError:
                    time.sleep(0.3)
            else:
                raise RuntimeError(f"server on {port} did not start; see {log_path}")
            yield process
        finally:
            process.terminate()
            process.wait(timeout=30)


def mais_server(prepared: Prepared, *extra: str) -> Any:
    return server([MAIS, "serve", *extra], prepared.env, prepared.port, prepared.logs / "mais.log")


def wrk(
    url: str,
    *,
    connections: int,
    duration: int,
    headers: dict[str, str] | None = None,
    script: str = "report.lua",
    script_args: list[str] | None = None,
) -> dict[str, Any]:
    """Load `url` with wrk; returns the reporter's JSON (requests, rps, p50/p95/p99 in ms,
    errors, non_2xx). Scripts other than report.lua load it for their `done`."""
    argv = [
        "wrk", f"-c{connections}", f"-t{min(connections, 2)}", f"-d{duration}s", "--latency",
        "-s", str(HERE / script),
    ]  # fmt: skip
    for name, value in (headers or {}).items():
        argv += ["-H", f"{name}: {value}"]
    argv.append(url)
    if script_args:
        argv += ["--", *script_args]
    out = subprocess.run(
        argv,
        check=True,
        capture_output=True,
        text=True,
        env=os.environ | {"BENCH_DIR": str(HERE)},
        preexec_fn=_run_as_load,
    )
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("{"))
    return dict(json.loads(line))


def get_json(url: str, headers: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def worker_pids(master: int) -> list[int]:
    """The uvicorn worker processes of the `mais serve` process `master` (its children,
    except multiprocessing's resource tracker)."""
    children = Path(f"/proc/{master}/task/{master}/children")
    pids = [int(p) for p in children.read_text().split()] if children.exists() else []
    workers = []
    for pid in pids:
        with contextlib.suppress(OSError):
            if b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                workers.append(pid)
    return sorted(workers) or [master]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def print_report(report: dict[str, Any]) -> None:
    print(json.dumps({"machine": machine(), **report}, indent=2))


def insert_bookings(
    prepared: Prepared, tenant: dict[str, Any], count: int, first_day: date, days: int
) -> None:
    """`count` bookings of `tenant` in bulk (mais.demo.bulk), then VACUUM ANALYZE (the state
    autovacuum keeps a real table in: statistics and visibility map up to date)."""
    from mais.core.db import async_url
    from mais.demo.bulk import insert_bookings as bulk_insert

    async def run() -> None:
        engine = create_async_engine(async_url(prepared.database_url))
        async with engine.begin() as connection:
            await bulk_insert(
                connection,
                tenant_id=uuid.UUID(tenant["id"]),
                package_id=uuid.UUID(tenant["package_ids"][0]),
                count=count,
                first_day=first_day,
                days=days,
            )
        async with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
            await connection.exec_driver_sql("VACUUM ANALYZE")
        await engine.dispose()

    asyncio.run(run())


def worker_restarts(prepared: Prepared) -> int:
    """How many times uvicorn replaced a worker that stopped answering its health check
    during the run (on an overloaded machine it does; the figures are then not clean)."""
    log = prepared.logs / "mais.log"
    return sum("died" in line for line in log.read_text().splitlines()) if log.exists() else 0
