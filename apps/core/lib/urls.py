"""URLs as Gantry shows and asks them: credentials hidden, only http and https.

A URL may carry a user name and password (`http://user:secret@prometheus:9090`);
requests sends them as basic auth. They must never reach a page, an API answer
or a log line, so every URL (and every message that may quote one) is shown
through `redact_userinfo`. Pure functions, also used by settings at start-up.
"""

import re
from urllib.parse import urlsplit

HTTP_SCHEMES = ("http", "https")
REDACTED = "***"

# `scheme://userinfo@` anywhere in a text. The userinfo runs to the last `@` before the
# path, as urllib and requests read it, so a password holding `@` is hidden whole.
_USERINFO_RE = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s]*@")


def redact_userinfo(text: str) -> str:
    """`text` with the user name and password of every URL in it replaced by ***.

    e.g. `http://admin:s3cret@prometheus:9090` -> `http://***@prometheus:9090`.
    """
    return _USERINFO_RE.sub(lambda match: f"{match['scheme']}{REDACTED}@", text)


def http_url_problem(url: str) -> str:
    """Why `url` is not an http or https URL of a host, or '' when it is one."""
    example = "e.g. http://prometheus.monitoring.svc:9090"
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        return f"is not a valid URL; use an http:// or https:// URL, {example}."
    if parts.scheme.lower() not in HTTP_SCHEMES:
        scheme = parts.scheme or "(none)"
        return f"uses the scheme '{scheme}'; only http:// and https:// are allowed, {example}."
    if not host:
        return f"names no host; use an http:// or https:// URL, {example}."
    return ""
