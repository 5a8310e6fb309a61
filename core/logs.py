"""Log output: JSON lines for machines, a readable line for people, chosen by a setting.

Standard library `logging` with our own formatters, not structlog: uvicorn, tortoise and the
websockets library all log through `logging`, and one formatter on the root handler makes every
line of the process the same JSON without a second pipeline. Each line carries the request id of
the request it was written for (`core.context`), so one `grep` finds everything a request did.

What never reaches a line: request and message bodies (nothing logs them), tokens and passwords.
Libraries that would log SQL parameters or websocket frames at DEBUG are held at INFO whatever
the level, and as a last net the formatters blank anything shaped like a JWT and any extra field
whose name says it is a secret.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
import sys
from datetime import UTC, datetime
from typing import Any

from core.context import current_request

JWT = re.compile(r"eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*")
SECRET_NAMES = re.compile(r"pass|token|secret|authorization|cookie", re.IGNORECASE)
REDACTED = "[redacted]"
# These libraries print SQL parameters (message bodies) or frames (the hello's token) at DEBUG.
QUIET_LIBRARIES = ("tortoise", "aiosqlite", "asyncpg", "websockets", "httpx", "httpcore",
                   "uvicorn.protocols")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def redact(text: str) -> str:
    return JWT.sub(REDACTED, text)


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The `extra=` fields of a record, with the current request id and secrets blanked."""
    fields = {key: value for key, value in vars(record).items() if key not in _STANDARD}
    fields.pop("color_message", None)  # uvicorn's coloured duplicate of the message
    request = current_request()
    if request is not None:
        fields.setdefault("request_id", request.request_id)
    return {key: REDACTED if SECRET_NAMES.search(key) else value for key, value in fields.items()}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, then the record's extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        line.update(extra_fields(record))
        if record.exc_info:
            line["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


class ConsoleFormatter(logging.Formatter):
    """`12:00:01.250 INFO  tongban.access  POST /v1/me 200  request_id=… duration_ms=3.1`."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created).strftime("%H:%M:%S.%f")[:-3]
        fields = " ".join(f"{key}={value}" for key, value in extra_fields(record).items())
        line = f"{stamp} {record.levelname:<5} {record.name}  {redact(record.getMessage())}"
        line = f"{line}  {fields}" if fields else line
        if record.exc_info:
            line += "\n" + redact(self.formatException(record.exc_info))
        return line


def chosen_format(setting: str) -> str:
    """`json`, `console`, or `auto`: console on a terminal, JSON otherwise (a service)."""
    if setting == "auto":
        return "console" if sys.stderr.isatty() else "json"
    if setting not in ("json", "console"):
        raise ValueError(f"TONGBAN_LOG_FORMAT must be json, console or auto, not {setting!r}")
    return setting


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """A `logging.config.dictConfig` for the server and uvicorn (which applies it per worker)."""
    level = level.upper()
    quiet = "INFO" if logging.getLevelName(level) == logging.DEBUG else level
    formatter = "core.logs.JsonFormatter" if chosen_format(log_format) == "json" else \
        "core.logs.ConsoleFormatter"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"tongban": {"()": formatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "tongban",
                                "stream": "ext://sys.stderr"}},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True},
            # Replaced by our access line, which knows the route template and the actor.
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
            **{name: {"level": quiet} for name in QUIET_LIBRARIES},
        },
    }


def configure_logging(*, log_format: str, level: str) -> dict[str, Any]:
    config = logging_config(log_format=log_format, level=level)
    logging.config.dictConfig(config)
    return config
