"""The API's JSON parser: DRF's, refusing bodies no endpoint could store or walk.

JSON allows what the rest of the stack does not: nesting deep enough to
exhaust Python's recursion limit, and escaped lone surrogates ("\\ud800") that
are valid JSON strings but not text, so PostgreSQL's UTF-8 encoding fails
on them. Both are refused here, before any view or serializer sees the body.
"""

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# No request body Gantry accepts nests more than a few levels; this leaves ample room.
MAX_DEPTH = 32


class SafeJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_too_deep()) from None
        check_body(data)
        return data


def check_body(data: Any) -> None:
    """Raise ParseError for nesting beyond MAX_DEPTH or a string that is not valid text.

    Walks without recursion, so the check cannot itself run out of stack.
    """
    pending: list[tuple[Any, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            _check_text(value)
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise ParseError(_too_deep())
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str):
                _check_text(key)
            pending.append((item, depth + 1))


def _check_text(value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ParseError(
            f"JSON parse error - a string holds {value[exc.start]!r}, a lone surrogate that "
            "is not valid UTF-8 text; escape characters outside the BMP as a pair, e.g. "
            '"\\ud83d\\ude00", or send them as UTF-8.'
        ) from None


def _too_deep() -> str:
    return (
        f"JSON parse error - the body is nested more than {MAX_DEPTH} levels deep; "
        'no endpoint takes that much nesting, e.g. send {"name": "chat"}.'
    )
