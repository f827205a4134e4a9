"""Real local processes and connections for tests: free ports, a private Redis server that
can be killed and restarted, PgBouncer in transaction mode, and HTTP clients per IP."""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def free_port() -> int:
    """A TCP port nothing listens on (closed: connecting to it is refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on port {port} after {timeout} s")


def client_for(app: Any, ip: str = "203.0.113.10") -> httpx.AsyncClient:
    """An HTTP client whose requests reach `app` from peer address `ip`."""
    transport = httpx.ASGITransport(app=app, client=(ip, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


class RedisServer:
    """A private `redis-server` on a free port, which a test may stop and start again.

    Its data lives in its own directory and survives `stop(save=True)` + `start()` (like a
    managed Redis with persistence); a plain `stop()` kills it and loses everything."""

    def __init__(self, *, tls: bool = False) -> None:
        self.port = free_port()
        self.tls = tls
        self.workdir = Path(tempfile.mkdtemp(prefix="mais-redis-"))
        self.process: subprocess.Popen[bytes] | None = None
        if tls:
            self._make_certificate()

    @property
    def certificate(self) -> Path:
        return self.workdir / "cert.pem"

    @property
    def url(self) -> str:
        if self.tls:  # verified against the server's self-signed certificate
            return f"rediss://127.0.0.1:{self.port}/0?ssl_ca_certs={self.certificate}"
        return f"redis://127.0.0.1:{self.port}/0"

    def _make_certificate(self) -> None:
        subprocess.run(
            [
                *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
                *("-keyout", str(self.workdir / "key.pem"), "-out", str(self.certificate)),
                *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            ],
            check=True,
            capture_output=True,
        )

    def start(self) -> RedisServer:
        listen = ["--port", str(self.port)]
        if self.tls:  # TLS only: a plain-text client cannot talk to it
            listen = [
                *("--port", "0", "--tls-port", str(self.port), "--tls-auth-clients", "no"),
                *("--tls-cert-file", str(self.certificate)),
                *("--tls-key-file", str(self.workdir / "key.pem")),
                *("--tls-ca-cert-file", str(self.certificate)),
            ]
        self.process = subprocess.Popen(
            [
                *(REDIS_SERVER, *listen, "--bind", "127.0.0.1"),
                *("--dir", str(self.workdir), "--dbfilename", "dump.rdb"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port(self.port)
        return self

    def stop(self, *, save: bool = False) -> None:
        if self.process is None:
            return
        if save:
            import redis

            client = redis.Redis.from_url(self.url)
            client.save()  # snapshot to disk; the restarted server loads it
            client.close()
        self.process.kill()
        self.process.wait(timeout=10)
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


class PgBouncer:
    """PgBouncer in transaction pooling mode in front of the database of `database_url`."""

    def __init__(self, database_url: str, pool_size: int = 4) -> None:
        self.target = make_url(database_url)
        self.workdir = Path(tempfile.mkdtemp(prefix="mais-pgbouncer-"))
        self.port = free_port()
        self.pool_size = pool_size
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return self.target.set(host="127.0.0.1", port=self.port).render_as_string(
            hide_password=False
        )

    @property
    def target_url(self) -> str:
        """The database behind the pooler, reached directly (a DIRECT_URL)."""
        return self.target.render_as_string(hide_password=False)

    def start(self) -> PgBouncer:
        user = self.target.username or "postgres"
        database = self.target.database
        host = self.target.host or "127.0.0.1"
        port = self.target.port or 5432
        password = f" password={self.target.password}" if self.target.password else ""
        # The test database may be a schema chosen by the client's `options` startup
        # parameter, which PgBouncer cannot forward: each server connection sets it instead.
        options = str(self.target.query.get("options", ""))
        schema = options.split("search_path=", 1)[1].split()[0] if "search_path=" in options else ""
        setup = [f"SET search_path TO {schema}"] if schema else []
        if "synchronous_commit=off" in options:
            setup.append("SET synchronous_commit TO off")
        connect_query = f" connect_query='{'; '.join(setup)}'" if setup else ""
        (self.workdir / "users.txt").write_text(f'"{user}" ""\n')
        (self.workdir / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"{database} = host={host} port={port} dbname={database} user={user}{password}"
            f"{connect_query}\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {self.port}\n"
            f"unix_socket_dir = {self.workdir}\n"
            "auth_type = any\n"
            f"auth_file = {self.workdir / 'users.txt'}\n"
            "pool_mode = transaction\n"
            f"default_pool_size = {self.pool_size}\n"
            "max_client_conn = 200\n"
            "ignore_startup_parameters = extra_float_digits,options\n"
            f"logfile = {self.workdir / 'pgbouncer.log'}\n"
            f"pidfile = {self.workdir / 'pgbouncer.pid'}\n"
        )
        command = [PGBOUNCER, str(self.workdir / "pgbouncer.ini")]
        if os.geteuid() == 0:  # PgBouncer refuses to run as root: drop to nobody
            nobody = pwd.getpwnam("nobody")
            for path in (self.workdir, *self.workdir.iterdir()):
                os.chown(path, nobody.pw_uid, nobody.pw_gid)
            command[1:1] = ["-u", "nobody"]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port(self.port)
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
        shutil.rmtree(self.workdir, ignore_errors=True)

    def log(self) -> str:
        path = self.workdir / "pgbouncer.log"
        return path.read_text() if path.exists() else ""


class TcpProxy:
    """A TCP proxy on a free port in front of `target_port`, run on the test's event loop,
    that a test can cut (open connections reset, new ones refused: the host is gone) and
    restore — a database server becoming unreachable without stopping it — or hold (what
    either side sends waits until `release`: a server slow to answer)."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()

    def hold(self) -> None:
        self._flowing.clear()

    def release(self) -> None:
        self._flowing.set()

    async def start(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    await self._flowing.wait()
                    sink.write(data)
                    await sink.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= {writer, up_writer}

    async def cut(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            writer.transport.abort()  # RST, like a host that went away
        self._writers.clear()
        if server is not None:
            await server.wait_closed()

    async def restore(self) -> None:
        await self.start()

    async def close(self) -> None:
        await self.cut()


def process_env(settings: Any, **extra: str) -> dict[str, str]:
    """The environment of a MAIS process (`mais worker`, a script) that shares the test's
    database, data directory and Redis: what a second machine of the deployment gets."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    if os.environ.get("PYTHONPATH"):  # a worktree's sources instead of the installed ones
        paths = os.environ["PYTHONPATH"].split(os.pathsep)
        env["PYTHONPATH"] = os.pathsep.join(str(Path(p).resolve()) for p in paths)
    env |= {
        "APP_ENV": settings.app_env.value,
        "DATABASE_URL": settings.database_url,
        "DATA_DIR": str(settings.data_dir),
        "FRONTEND_URL": settings.frontend_url or "",
    }
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    return env | extra
