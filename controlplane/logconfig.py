"""The LOGGING setting: everything to stderr, and to a rotating file under the state directory.

Unhandled errors of web requests (logger `django.request`) and of the API's error
handler carry their traceback; with LOG_FORMAT=json each record is one JSON line,
the traceback in its `exc_info` field.
"""

from typing import Any

from django.core.exceptions import ImproperlyConfigured

FORMATS = ("plain", "json")
PLAIN = "%(asctime)s %(levelname)s %(name)s %(message)s"


def build_logging(
    *, level: str, log_format: str, log_file: str, max_bytes: int, backups: int
) -> dict[str, Any]:
    """A dictConfig for every Gantry process; `log_file` empty logs to stderr only."""
    if log_format not in FORMATS:
        raise ImproperlyConfigured(f"LOG_FORMAT={log_format!r} must be 'plain' or 'json'.")
    handlers: dict[str, dict[str, Any]] = {
        "stderr": {"class": "logging.StreamHandler", "formatter": log_format},
    }
    if log_file:
        # Several processes (gunicorn workers, Celery) write the one file: this handler
        # takes a lock around each write and rotation, which RotatingFileHandler does not.
        handlers["file"] = {
            "class": "concurrent_log_handler.ConcurrentRotatingFileHandler",
            "filename": log_file,
            "maxBytes": max_bytes,
            "backupCount": backups,
            "chmod": 0o600,
            "formatter": log_format,
        }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": PLAIN},
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "format": PLAIN,
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            },
        },
        "handlers": handlers,
        "root": {"handlers": list(handlers), "level": level},
        # Its failures and lockouts are warnings; its start-up banner and successes are noise.
        "loggers": {"axes": {"level": "WARNING"}},
    }
