"""A query by primary key whose SQL is compiled once per process.

Django compiles a queryset's SQL anew every time it is evaluated. For the reconciler's
record with its related rows (five joins, over a hundred columns), compiling takes
more CPU than the database needs to answer: in a profile of the bulk benchmark's
workers it was 13% of all their CPU. `KeyLookup` compiles once per database alias.
After that, each call only binds the key and builds the instances the way Django's
own `ModelIterable` does: the same converters, `from_db` and select_related
populators. The result is what `queryset.filter(pk=key).first()` returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

M = TypeVar("M", bound=Model)

# Stands for the key while compiling; found again in the parameters by identity of value.
_PLACEHOLDER = -7_230_413_911


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    key_index: int
    compiler: Any
    model: type[Model]
    init_list: list[str]
    fields_slice: slice
    related_populators: list[Any]


class KeyLookup(Generic[M]):
    """`lookup.get(pk)`: the row and its select_related rows, or None when it is gone."""

    def __init__(self, queryset: QuerySet[M]) -> None:
        self._queryset = queryset
        self._compiled: dict[str, _Compiled] = {}

    def get(self, pk: int) -> M | None:
        db = self._queryset.db
        compiled = self._compiled.get(db)
        if compiled is None:
            compiled = self._compiled[db] = self._compile(db)
        params = list(compiled.params)
        params[compiled.key_index] = pk
        with connections[db].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            raw = cursor.fetchone()
        if raw is None:
            return None
        row = next(iter(compiled.compiler.results_iter(results=[[raw]])))
        obj = compiled.model.from_db(db, compiled.init_list, row[compiled.fields_slice])
        for populator in compiled.related_populators:
            populator.populate(row, obj)
        return obj

    def _compile(self, db: str) -> _Compiled:
        compiler = self._queryset.filter(pk=_PLACEHOLDER).query.get_compiler(using=db)
        sql, params = compiler.as_sql()
        if list(params).count(_PLACEHOLDER) != 1:
            raise ValueError("KeyLookup needs a queryset whose parameters do not hold its key")
        klass_info, select = compiler.klass_info, compiler.select
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        return _Compiled(
            sql=sql,
            params=tuple(params),
            key_index=list(params).index(_PLACEHOLDER),
            compiler=compiler,
            model=klass_info["model"],
            init_list=[column[0].target.attname for column in select[start:end]],
            fields_slice=slice(start, end),
            related_populators=get_related_populators(klass_info, select, db),
        )
