"""Catalog benchmark: MAIS as in production (PostgreSQL, Redis, N uvicorn workers, INFO logs,
rate limiter on with a high limit) under the checklist's load: 10 connections for 30 s on
GET /v1/packages. Prints requests/s, P50/P95/P99, errors, the cache hit rate from
/health/cache, and the same figures for a minimal app returning the same bytes (ceiling).

    python bench/catalog.py [--duration 30] [--connections 10] [--workers 2]

Needs `wrk` (Debian package) and local PostgreSQL and Redis (BENCH_DATABASE_URL,
BENCH_REDIS_URL override the defaults)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
MAIS = str(Path(PYTHON).with_name("mais"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh_database(base_url: str, name: str) -> str:
    url = make_url(base_url).set(drivername="postgresql+psycopg")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


def production_env(database_url: str, redis_url: str, port: int, workers: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
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
            # Shaped like real values; the catalog path never calls Stripe.
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


def seed_tenants(env: dict[str, str], tenants: int, packages: int) -> str:
    """Create tenants through the product's services; returns the first tenant's public key."""
    script = HERE / "seed_data.py"
    out = subprocess.run(
        [PYTHON, str(script), str(tenants), str(packages)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


@contextmanager
def server(argv: list[str], env: dict[str, str], port: int, log_path: Path) -> Any:
    with log_path.open("w") as log:
        process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
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


def wrk(url: str, key: str, connections: int, duration: int) -> dict[str, Any]:
    out = subprocess.run(
        [
            "wrk", f"-c{connections}", f"-t{min(connections, 2)}", f"-d{duration}s",
            "--latency", "-s", str(HERE / "report.lua"), "-H", f"X-Tenant-Key: {key}", url,
        ],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("{"))
    return json.loads(line)


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tenants", type=int, default=3)
    parser.add_argument("--packages", type=int, default=5)
    args = parser.parse_args()

    base_db = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    database_url = fresh_database(base_db, "mais_bench")
    port = free_port()
    env = production_env(database_url, redis_url, port, args.workers)
    subprocess.run([MAIS, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([MAIS, "seed"], env=env, check=True, capture_output=True)
    subprocess.run(["redis-cli", "-u", redis_url, "flushdb"], check=True, capture_output=True)
    key = seed_tenants(env, args.tenants, args.packages)
    url = f"http://127.0.0.1:{port}/v1/packages"
    logs = Path(tempfile.mkdtemp(prefix="mais-bench-logs-"))

    with server([MAIS, "serve"], env, port, logs / "mais.log"):
        request = urllib.request.Request(url, headers={"X-Tenant-Key": key})
        body = urllib.request.urlopen(request, timeout=5).read()
        wrk(url, key, args.connections, 3)  # warm-up: every worker has the key and the page
        subprocess.run(["redis-cli", "-u", redis_url, "del", "mais:cache:stats"], check=True,
                       capture_output=True)  # fmt: skip
        time.sleep(1.5)
        ours = wrk(url, key, args.connections, args.duration)
        time.sleep(1.5)  # let every worker publish its cache counters
        cache = get_json(f"http://127.0.0.1:{port}/health/cache")

    body_file = logs / "body.json"
    body_file.write_bytes(body)
    ceiling_port = free_port()
    ceiling_env = env | {"CEILING_BODY_FILE": str(body_file), "PYTHONPATH": str(HERE)}
    uvicorn = [
        PYTHON, "-m", "uvicorn", "ceiling_app:app", "--host", "127.0.0.1",
        "--port", str(ceiling_port), "--workers", str(args.workers), "--no-access-log",
        "--no-server-header",
    ]  # fmt: skip
    ceiling_url = f"http://127.0.0.1:{ceiling_port}/v1/packages"
    ceiling_argv = [*uvicorn, "--log-level", "warning"]
    with server(ceiling_argv, ceiling_env, ceiling_port, logs / "ceiling.log"):
        wrk(ceiling_url, key, args.connections, 3)
        ceiling = wrk(ceiling_url, key, args.connections, args.duration)

    report = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "workers": args.workers,
        "connections": args.connections,
        "duration_s": args.duration,
        "body_bytes": len(body),
        "mais": ours,
        "ceiling": ceiling,
        "fraction_of_ceiling": round(ours["rps"] / ceiling["rps"], 3),
        "cache": cache,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
