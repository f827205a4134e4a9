"""Structured logging with structlog: JSON lines in production, readable lines in
development. Every record carries the request id; secrets are scrubbed before output."""

from __future__ import annotations

import logging
import logging.config
import re
import sys
from collections.abc import Callable, MutableMapping
from datetime import UTC, datetime
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
    `mais.request` logger."""

    def __init__(self) -> None:
        self._write: Callable[[dict[str, Any]], None] | None = None
        self._level = logging.INFO
        self._stdlib = logging.getLogger("mais.request")

    def configure(self, level: str, *, json_output: bool, stream: Any) -> None:
        self._level = logging.getLevelName(level.upper())
        out = stream or sys.stderr
        if json_output:

            def write_json(fields: dict[str, Any]) -> None:
                record = {"logger": "mais.request", "event": "request", "level": "info"}
                for key, value in fields.items():
                    record[key] = scrub_text(value) if isinstance(value, str) else value
                record["timestamp"] = _utc_timestamp()
                out.write(orjson.dumps(record, default=str).decode() + "\n")
                out.flush()

            self._write = write_json
        else:
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


def _utc_timestamp() -> str:
    """The same ISO form as structlog's `TimeStamper(fmt="iso", utc=True)`."""
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


request_log = RequestLog()


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
