"""Keyset ("cursor") pagination for every API list.

A page is the rows that come after (or before) the last row the client saw, in
the list's ordering with the primary key as the final tie-breaker. The cursor
in the `next` and `previous` links carries that row's position, so:

- a page costs one indexed query, whatever the page and however many rows the
  list holds: there is no COUNT and no OFFSET;
- a row created or deleted while a client walks the list never shifts the
  pages, so automation neither skips nor repeats a row that stayed;
- any ordering works, even by a column with few distinct values (state), since
  the position is the whole sort key and not the first column with an offset.

The cursor is opaque to clients: it is base64 of JSON naming the ordering it
was made for and the position, and any cursor that does not decode to a
position in the current ordering answers 400 with a sentence saying so.
"""

import base64
import binascii
import json
import math
import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import reduce
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, Q, QuerySet
from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

INVALID_CURSOR = (
    "The cursor is not valid. Follow the `next` or `previous` link of an earlier answer "
    "as it is, or leave `cursor` out to start at the first page."
)


@dataclass(frozen=True)
class Key:
    """One column of the sort key."""

    name: str
    descending: bool

    @property
    def term(self) -> str:
        return f"-{self.name}" if self.descending else self.name


@dataclass(frozen=True)
class Cursor:
    position: tuple
    backwards: bool


class KeysetPagination(BasePagination):
    page_size = 25
    max_page_size = 200
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    default_ordering: Sequence[str] = ("-id",)

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: Any = None
    ) -> list[Any]:
        self.request = request
        self.limit = self._page_size(request)
        self.keys = sort_key(self._ordering(request, queryset, view), queryset.model)
        self.signature = ",".join(key.term for key in self.keys)
        cursor = self._decode(request, queryset.model)

        backwards = bool(cursor and cursor.backwards)
        queryset = queryset.order_by(*(_term(key, flip=backwards) for key in self.keys))
        if cursor:
            queryset = queryset.filter(beyond(self.keys, cursor.position, backwards=backwards))
        rows = list(queryset[: self.limit + 1])
        more = len(rows) > self.limit
        rows = rows[: self.limit]
        if backwards:
            rows.reverse()
        # Walking back from a cursor means the cursor's row, and so a next page, exists.
        self.has_next = more if not backwards else True
        self.has_previous = more if backwards else cursor is not None
        self.page = rows
        return rows

    def get_paginated_response(self, data: list[Any]) -> Response:
        return Response(
            {"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data}
        )

    # An empty page (its rows were deleted since the cursor was made) has no row to
    # point from, so it links nowhere; leaving `cursor` out starts over.
    def get_next_link(self) -> str | None:
        if not (self.has_next and self.page):
            return None
        return self._link(self.page[-1], backwards=False)

    def get_previous_link(self) -> str | None:
        if not (self.has_previous and self.page):
            return None
        return self._link(self.page[0], backwards=True)

    def get_paginated_response_schema(self, schema: dict) -> dict:
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {**link, "description": "The following page; null on the last."},
                "previous": {**link, "description": "The page before; null on the first."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where the page starts: taken from a `next` or `previous` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page, 1 to {self.max_page_size} "
                f"(default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]

    def _page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        # str.isdigit() also takes '²' and other digits int() refuses or reads.
        if not re.fullmatch(r"[0-9]{1,4}", raw) or not 1 <= int(raw) <= self.max_page_size:
            raise serializers.ValidationError(
                {
                    self.page_size_query_param: [
                        f"Give a whole number from 1 to {self.max_page_size}, e.g. 50."
                    ]
                }
            )
        return int(raw)

    def _ordering(self, request: Request, queryset: QuerySet, view: Any) -> Sequence[str]:
        for backend in getattr(view, "filter_backends", ()):
            if hasattr(backend, "get_ordering"):
                ordering = backend().get_ordering(request, queryset, view)
                if ordering:
                    return ordering
        return getattr(view, "ordering", None) or self.default_ordering

    def _link(self, row: Any, *, backwards: bool) -> str:
        position = [_plain(_value(row, key.name)) for key in self.keys]
        payload = json.dumps(
            {"o": self.signature, "p": position, "b": backwards}, separators=(",", ":")
        )
        token = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
        return replace_query_param(
            self.request.build_absolute_uri(), self.cursor_query_param, token
        )

    def _decode(self, request: Request, model: type[Model]) -> Cursor | None:
        token = request.query_params.get(self.cursor_query_param)
        if token is None:
            return None
        try:
            payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            ordering, position, backwards = payload["o"], payload["p"], payload["b"]
        except (ValueError, TypeError, KeyError, binascii.Error):
            raise _cursor_error(INVALID_CURSOR) from None
        if ordering != self.signature:
            raise _cursor_error(
                f"This cursor belongs to the list ordered by '{ordering}', not by "
                f"'{self.signature}'. Keep the `ordering` the cursor was made with, or leave "
                "`cursor` out to start at the first page."
            )
        if not isinstance(position, list) or len(position) != len(self.keys):
            raise _cursor_error(INVALID_CURSOR)
        try:
            pairs = zip(self.keys, position, strict=True)
            values = tuple(_parse(model, key.name, raw) for key, raw in pairs)
        except (DjangoValidationError, ValueError, TypeError, OverflowError):
            raise _cursor_error(INVALID_CURSOR) from None
        return Cursor(position=values, backwards=bool(backwards))


def sort_key(ordering: Sequence[str], model: type[Model]) -> list[Key]:
    """The ordering as keys, ending with the primary key so that every row has its own place."""
    keys = []
    for term in ordering:
        name = term.lstrip("-")
        if "__" in name:
            raise ImproperlyConfigured(
                f"Ordering '{term}' spans a relation; annotate the value under a plain name."
            )
        if name == "pk":
            name = model._meta.pk.name
        keys.append(Key(name=name, descending=term.startswith("-")))
    if not any(key.name == model._meta.pk.name for key in keys):
        last_descending = keys[-1].descending if keys else True
        keys.append(Key(name=model._meta.pk.name, descending=last_descending))
    return keys


def beyond(keys: Sequence[Key], position: Sequence[Any], *, backwards: bool = False) -> Q:
    """Rows strictly after `position` in the order of `keys` (before it, walking backwards).

    For keys (a desc, id desc) that is `a < p0 OR (a = p0 AND id < p1)`.
    """
    alternatives = []
    for index, key in enumerate(keys):
        after = "lt" if key.descending != backwards else "gt"
        equal_before = {keys[i].name: position[i] for i in range(index)}
        alternatives.append(Q(**equal_before, **{f"{key.name}__{after}": position[index]}))
    return reduce(operator.or_, alternatives)


def _term(key: Key, *, flip: bool) -> str:
    return key.name if key.descending == flip else f"-{key.name}"


def _value(row: Any, name: str) -> Any:
    value = row[name] if isinstance(row, dict) else getattr(row, name)
    if value is None:
        raise ImproperlyConfigured(f"Ordering by '{name}' needs a column without nulls.")
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _parse(model: type[Model], name: str, raw: Any) -> Any:
    """One position value as the query will compare it; ValueError if the database cannot.

    The checks are those of values a database refuses to compare rather than
    finding no row: infinities, integers beyond 64 bits, times that leave the
    calendar when moved to UTC, and strings that are not storable text.
    """
    if not isinstance(raw, str | int | float) or isinstance(raw, bool):
        raise ValueError(raw)
    if isinstance(raw, float) and not math.isfinite(raw):
        raise ValueError(raw)
    if isinstance(raw, str) and ("\x00" in raw or not _encodable(raw)):
        raise ValueError(raw)
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:  # an annotation: compared as it was written
        value = raw
    else:
        value = field.to_python(raw)
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        raise ValueError(raw)
    if isinstance(value, datetime):
        if value.tzinfo is None:  # every cursor Gantry makes has an offset
            raise ValueError(raw)
        value = value.astimezone(UTC)  # OverflowError past year 9999 or before year 1
    return value


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def _cursor_error(message: str) -> serializers.ValidationError:
    return serializers.ValidationError({KeysetPagination.cursor_query_param: [message]})


@dataclass
class HtmlPage:
    """One keyset page for a browser page: its rows and links to the pages beside it."""

    rows: list[Any]
    next_url: str
    previous_url: str


def html_page(
    request: Any, queryset: QuerySet, ordering: Sequence[str], page_size: int = 50
) -> HtmlPage:
    """A keyset page of `queryset` for a Django (not DRF) request, as the API pages.

    Links are relative (path and query), ready for `href` and htmx. A bad cursor or
    page size raises rest_framework's ValidationError, {param: [message]}.
    """
    paginator = KeysetPagination()
    paginator.page_size = page_size
    view = _Ordered(ordering)
    rows = paginator.paginate_queryset(queryset, Request(request), view)
    return HtmlPage(
        rows=rows,
        next_url=_relative(paginator.get_next_link()),
        previous_url=_relative(paginator.get_previous_link()),
    )


@dataclass(frozen=True)
class _Ordered:
    ordering: Sequence[str]


def _relative(link: str | None) -> str:
    if not link:
        return ""
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"
