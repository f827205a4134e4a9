"""Structured logging with structlog: JSON lines in production, readable lines in
development. Every record carries the request id; secrets are scrubbed before output."""

from __future__ import annotations

import logging
import logging.config
import re
from typing import Any

import structlog

from mais.core.context import current_request_id

# Values that must never reach a log line, whatever field they hide in.
_SECRET_PATTERNS = [
    (re.compile(r"sk_(live|test)_[A-Za-z0-9_-]+"), "sk_***"),
    (re.compile(r"rk_(live|test)_[A-Za-z0-9_-]+"), "rk_***"),
    (re.compile(r"whsec_[A-Za-z0-9_-]+"), "whsec_***"),
    (re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer ***"),
    (re.compile(r"\b(?:\d[ -]?){13,19}\b"), "[card?]"),
    (re.compile(r"t=\d+,v1=[0-9a-f]+"), "t=***,v1=***"),
]
_SECRET_KEYS = re.compile(
    r"(?i)(password|passwd|secret|token|authorization|cookie|api[_-]?key|signature|csrf)"
)


def scrub_text(value: str) -> str:
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


def scrub_secrets(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    return {key: _scrub(value, key) for key, value in event_dict.items()}


def add_request_id(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    request_id = current_request_id()
    if request_id and "request_id" not in event_dict:
        event_dict["request_id"] = request_id
    return event_dict


def _pre_chain() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
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
    return config
