"""Gantry's local state directory (SQLite file, logs, secret key) is private to its owner.

Settings call these before anything writes there, so the directory is created
0700 and the SQLite file 0600 whatever the umask of the process that starts
first (gunicorn, a Celery worker or manage.py).
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path, setting: str) -> Path:
    """Create `path` and its missing parents owner-only; existing ones are left as they are."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    try:
        # mkdir(parents=True) would create the parents with the umask's mode, not ours.
        for directory in reversed(missing):
            directory.mkdir(mode=DIR_MODE, exist_ok=True)
    except OSError as exc:
        raise ImproperlyConfigured(f"{setting}: cannot create {path}: {exc.strerror}.") from None
    return path


def private_file(path: Path, setting: str) -> Path:
    """Create an empty `path` owner-only unless it exists, so whoever opens it next keeps that."""
    private_dir(path.parent, setting)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE))
    except OSError as exc:
        raise ImproperlyConfigured(f"{setting}: cannot create {path}: {exc.strerror}.") from None
    return path
