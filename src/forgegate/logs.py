"""Logging for the CLI: text or JSON lines on stderr, every message redacted.

JSON lines carry the run id (one per process) and the operation (``op``, from the ``extra``
of the call or the logger's last name part), so the lines of one run can be picked out of a
shared CI log. Every handler gets :class:`~forgegate.redact.RedactingFilter`: no token, bearer
header, URL credential or password reaches the log, whatever a caller passes.
"""

from __future__ import annotations

import json
import logging
import sys
import uuid
from typing import TextIO

from forgegate.redact import RedactingFilter, redact

LOGGER = "forgegate"
RUN_ID = uuid.uuid4().hex[:12]
LEVELS = ("debug", "info", "warning", "error")


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "run": RUN_ID,
            "op": getattr(record, "op", record.name.rpartition(".")[2]),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure(fmt: str = "text", level: str = "warning", stream: TextIO | None = None) -> None:
    """Route the ``forgegate`` loggers to ``stream`` (stderr) in ``fmt`` at ``level``."""
    logger = logging.getLogger(LOGGER)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactingFilter())
    if fmt == "json":
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(logging.Formatter("forgegate: %(levelname)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False


def get(name: str) -> logging.Logger:
    """A logger under ``forgegate`` (``forgegate.<name>``)."""
    return logging.getLogger(f"{LOGGER}.{name}")
