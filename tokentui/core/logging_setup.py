"""The debug log: off unless ``TOKENTUI_DEBUG=1`` or ``--debug``; never a token value.

When enabled, every log record of tokentui, httpx and httpcore goes to ``tokentui.log`` in the
user log directory (platformdirs; ``TOKENTUI_LOG_DIR`` overrides), created with mode 0600. A
filter on the handler rewrites each formatted record so that anything shaped like a GitLab
token value, a ``PRIVATE-TOKEN`` header, an ``Authorization`` header or a ``private_token`` /
``token`` field is replaced by ``[REDACTED]`` before it reaches the file. The API layer already
avoids logging values; this is the second wall. No Textual import (the scripting CLI uses it).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import platformdirs

DEBUG_ENV = "TOKENTUI_DEBUG"
LOG_DIR_ENV = "TOKENTUI_LOG_DIR"
LOG_FILE = "tokentui.log"
REDACTED = "[REDACTED]"

#: What a secret looks like in a log line. GitLab token values carry a ``gl…-`` prefix
#: (glpat-, gloas-, gldt-, glrt-, glsoat-, glimt-, glft-, glcbt-, glagent-, …); the header and
#: field forms catch values with a custom instance prefix too.
SECRET_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"\bgl[a-z]{1,8}-[A-Za-z0-9_.\-]{8,}"),
    re.compile(r"(?i)(private[-_]token['\"]?\s*[:=,]\s*[(\[]?\s*(?-i:b)?['\"]?)[^'\"\s&,)\]]+"),
    re.compile(
        r"(?i)(authorization['\"]?\s*[:=,]\s*[(\[]?\s*(?-i:b)?['\"]?(?:bearer\s+|basic\s+)?)"
        r"[^'\"\s&,)\]]+"
    ),
    re.compile(r"(?i)(['\"]?\btoken['\"]?\s*[:=]\s*['\"]?)(?!\[REDACTED\])[^'\"\s&,}]{8,}"),
)


def redact(text: str) -> str:
    """``text`` with every secret-shaped part replaced by ``[REDACTED]``."""
    for pattern in SECRET_PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
        else:
            text = pattern.sub(REDACTED, text)
    return text


class RedactingFilter(logging.Filter):
    """Formats the record's message (and exception text) once, redacted, so neither the
    arguments nor a traceback can carry a token value to the handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not break logging
            message = f"{record.msg!r} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(text)
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def debug_requested(flag: bool = False) -> bool:
    """Whether the debug log is wanted: ``--debug`` or ``TOKENTUI_DEBUG`` set to a true value."""
    value = os.environ.get(DEBUG_ENV, "").strip().lower()
    return flag or value in ("1", "true", "yes", "on")


def log_dir() -> Path:
    """The directory of the debug log."""
    override = os.environ.get(LOG_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_log_dir("tokentui", appauthor=False))


_handler: logging.Handler | None = None
#: Loggers whose records go to the debug log.
LOGGERS = ("tokentui", "httpx", "httpcore")


def enable_debug_log() -> Path:
    """Send tokentui, httpx and httpcore records at DEBUG to the log file (redacted); returns
    its path. Calling it again only returns the path."""
    global _handler
    path = log_dir() / LOG_FILE
    if _handler is not None:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.close(fd)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    handler.setLevel(logging.DEBUG)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
    _handler = handler
    return path


def disable_debug_log() -> None:
    """Remove the debug handler (tests, and a clean exit)."""
    global _handler
    handler, _handler = _handler, None
    if handler is None:
        return
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
    handler.close()
