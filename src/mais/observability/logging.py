"""Structured logging with structlog: JSON lines in production, readable lines in
development. Every record carries the request id; secrets are scrubbed before output."""

from __future__ import annotations

import asyncio
import atexit
import logging
import logging.config
import re
import sys
import time
from collections.abc import Callable, MutableMapping
from typing import Any

import orjson
import structlog

from mais.core.context import current_request_id

# Values that must never reach a log line, whatever field they hide in.
_SECRET_PATTERNS = [
    (re.compile(r"sk_(live|test)_[A-Za-z0-9_-]+"), "sk_***"),
    (re.compile(r"rk_(live|test)_[A-Za-z0-9_-]+"), "rk_***"),
    (re.compile(r"whsec_[A-Za-z0-9_-]+"), "whsec_***"),
    (re.compile(r"(?i:bearer)\s+[A-Za-z0-9._~+/=-]+"), "Bearer ***"),
    (re.compile(r"\b(?:\d[ -]?){13,19}\b"), "[card?]"),
    (re.compile(r"t=\d+,v1=[0-9a-f]+"), "t=***,v1=***"),
]
_SECRET_KEYS = re.compile(
    r"(?i)(password|passwd|secret|token|authorization|cookie|api[_-]?key|signature|csrf)"
)


# One pass that finds whether any pattern occurs: most values hold none, and this runs for
# every string of every log line.
_ANY_SECRET = re.compile("|".join(f"(?:{pattern.pattern})" for pattern, _ in _SECRET_PATTERNS))


def scrub_text(value: str) -> str:
    if _ANY_SECRET.search(value) is None:
        return value
    for pattern, replacement in _SECRET_PATTERNS:
        value = pattern.sub(replacement, value)
    return value


def _scrub(value: Any, key: str = "") -> Any:
    if key and _SECRET_KEYS.search(key):
        return "***"
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: _scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def scrub_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> dict[str, Any]:
    return {key: _scrub(value, key) for key, value in event_dict.items()}


def add_request_id(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    request_id = current_request_id()
    if request_id and "request_id" not in event_dict:
        event_dict["request_id"] = request_id
    return event_dict


def _drop_color_message(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    event_dict.pop("color_message", None)
    return event_dict


def _pre_chain() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        # uvicorn attaches a terminal-coloured copy of its message as `color_message`.
        structlog.stdlib.ExtraAdder(),
        _drop_color_message,
        add_request_id,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def logging_config(level: str, *, json_output: bool, stream: Any = None) -> dict[str, Any]:
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json_output
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    scrub_secrets,
                    structlog.processors.format_exc_info,
                    renderer,
                ],
                "foreign_pre_chain": _pre_chain(),
            }
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "structured"}
            | ({"stream": stream} if stream is not None else {})
        },
        "root": {"handlers": ["console"], "level": level.upper()},
        "loggers": {
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"level": "WARNING"},  # MAIS writes its own request lines
            "alembic": {"level": "WARNING"},
        },
    }


class RequestLog:
    """The per-request access line. It bypasses the stdlib logging machinery once logging is
    configured (it runs for every request: the JSON line below costs about a tenth of a
    structlog chain, measured); before that — in tests — it goes through the stdlib
    `mais.request` logger.

    Its fields are the request's own (method, route template, status, our request id and
    tenant slug, all validated or produced by MAIS); only the path comes from the client
    as typed, so only the path is scrubbed of secrets."""

    def __init__(self) -> None:
        self._write: Callable[[dict[str, Any]], None] | None = None
        self._level = logging.INFO
        self._stdlib = logging.getLogger("mais.request")
        self._buffer: _LineBuffer | None = None

    def configure(self, level: str, *, json_output: bool, stream: Any) -> None:
        self.flush()
        self._level = logging.getLevelName(level.upper())
        out = stream or sys.stderr
        if json_output:
            buffer = self._buffer = _LineBuffer(out)

            def write_json(fields: dict[str, Any]) -> None:
                fields["path"] = scrub_text(fields["path"])
                fields["logger"] = "mais.request"
                fields["event"] = "request"
                fields["level"] = "info"
                fields["timestamp"] = _utc_timestamp()
                buffer.add(orjson.dumps(fields, default=str).decode() + "\n")

            self._write = write_json
        else:
            self._buffer = None
            console = structlog.wrap_logger(
                structlog.WriteLogger(out),
                processors=[
                    structlog.processors.add_log_level,
                    structlog.processors.TimeStamper(fmt="iso", utc=True),
                    scrub_secrets,
                    structlog.dev.ConsoleRenderer(colors=False),
                ],
            ).bind(logger="mais.request")
            self._write = lambda fields: console.info("request", **fields)

    def info(self, **fields: Any) -> None:
        if self._write is None:
            self._stdlib.info("request", extra=fields)
        elif self._level <= logging.INFO:
            self._write(fields)

    def flush(self) -> None:
        """Write out the lines gathered so far (at shutdown, and before a test reads)."""
        if self._buffer is not None:
            self._buffer.flush()


FLUSH_SECONDS = 0.1
FLUSH_LINES = 256


class _LineBuffer:
    """Request lines are gathered and written together, at most `FLUSH_SECONDS` after the
    first of them, instead of with one `write` system call per request (which cost the
    catalog's hot path about 5 % of its CPU, measured). A worker that is killed outright
    loses at most that long of request lines; every other log record is written at once,
    and the buffer is flushed at shutdown."""

    def __init__(self, out: Any) -> None:
        self._out = out
        self._lines: list[str] = []
        # The loop a flush is scheduled on. A loop that closed before its flush ran is not
        # the running one any more, so the next line schedules a flush again.
        self._flush_loop: asyncio.AbstractEventLoop | None = None

    def add(self, line: str) -> None:
        self._lines.append(line)
        if len(self._lines) >= FLUSH_LINES:
            self.flush()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not in an event loop (a CLI command): write now
            self.flush()
            return
        if self._flush_loop is not loop:
            loop.call_later(FLUSH_SECONDS, self.flush)
            self._flush_loop = loop

    def flush(self) -> None:
        self._flush_loop = None
        if self._lines:
            lines, self._lines = self._lines, []
            self._out.write("".join(lines))
            self._out.flush()


_second_text: tuple[int, str] = (0, "")


def _utc_timestamp() -> str:
    """The ISO form of structlog's `TimeStamper(fmt="iso", utc=True)`, with the date and
    time of day formatted once per second (it runs for every request)."""
    global _second_text
    now = time.time()
    second = int(now)
    if second != _second_text[0]:
        _second_text = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
    return f"{_second_text[1]}.{int((now - second) * 1_000_000):06d}Z"


request_log = RequestLog()
atexit.register(request_log.flush)


def configure_logging(level: str, *, json_output: bool, stream: Any = None) -> dict[str, Any]:
    """Configure stdlib logging and structlog alike; returns the dict for uvicorn."""
    config = logging_config(level, json_output=json_output, stream=stream)
    logging.config.dictConfig(config)
    structlog.configure(
        processors=[*_pre_chain(), structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    request_log.configure(level, json_output=json_output, stream=stream)
    return config
