"""plotly.js served from the installed plotly package, as static/vendor/plotly.min.js.

The plotly package ships the matching plotly.min.js (4.6 MB). A finder exposes
that one file to collectstatic and the development server, so it is neither
committed to git nor fetched from a CDN, and always matches the plotly version
in uv.lock that builds the figures.
"""

from pathlib import Path
from typing import Any

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage, Error
from django.core.files.storage import FileSystemStorage

PREFIX = "vendor"
NAME = "plotly.min.js"
STATIC_PATH = f"{PREFIX}/{NAME}"


class PlotlyJSFinder(BaseFinder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.directory = Path(plotly.__file__).resolve().parent / "package_data"
        self.storage = FileSystemStorage(location=self.directory)
        # collectstatic puts a storage's files under its prefix, as for STATICFILES_DIRS.
        self.storage.prefix = PREFIX

    def check(self, **kwargs: Any) -> list[CheckMessage]:
        if (self.directory / NAME).is_file():
            return []
        return [
            Error(
                f"{self.directory / NAME} is missing, so charts cannot load plotly.js.",
                hint="Reinstall the plotly package (uv sync).",
                id="monitoring.E010",
            )
        ]

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> str | list[str]:
        source = self.directory / NAME
        if path != STATIC_PATH or not source.is_file():
            return []
        return [str(source)] if find_all else str(source)

    def list(self, ignore_patterns: Any) -> Any:
        if (self.directory / NAME).is_file():
            yield NAME, self.storage
