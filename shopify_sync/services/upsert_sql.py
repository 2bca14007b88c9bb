"""One multi-row `INSERT … ON CONFLICT … DO UPDATE … WHERE … RETURNING …` statement, PostgreSQL and SQLite.

Django's `bulk_create(update_conflicts=True)` cannot say "only update when the stored row is older",
which the mirror needs to stay monotonic without a race, and on SQLite it splits rows into statements of
999 variables. This builds the same statement through Django's own insert compiler (so values are
adapted exactly as `bulk_create` adapts them), then appends the guard and a RETURNING clause.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.constants import OnConflict
from django.db.models.options import Options
from django.db.models.sql import InsertQuery

# PostgreSQL bulk inserts go through UNNEST (one array parameter per column), so rows are not limited
# by the 65535-parameter protocol limit; SQLite binds one variable per value.
_SQLITE_FALLBACK_VARIABLE_LIMIT = 999


def _rows_per_statement(connection: BaseDatabaseWrapper, field_count: int, row_count: int) -> int:
    if connection.vendor != "sqlite":
        return max(row_count, 1)
    connection.ensure_connection()
    try:
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    except AttributeError:  # Python < 3.11
        limit = _SQLITE_FALLBACK_VARIABLE_LIMIT
    return max(limit // field_count, 1)


def concrete_field(opts: Options[Any], name: str) -> models.Field:
    """The model's own field called `name` (`get_field` also finds reverse relations, which hold no value)."""
    field = opts.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{opts.label}.{name} is a reverse relation, not a field of the model")
    return field


def column_name(opts: Options[Any], name: str) -> str:
    column = concrete_field(opts, name).column
    if column is None:
        raise TypeError(f"{opts.label}.{name} has no column in {opts.db_table}")
    return column


def upsert_rows(
    model: type[models.Model],
    objs: Sequence[models.Model],
    *,
    fields: Sequence[str],
    unique_fields: Sequence[str],
    update_fields: Sequence[str],
    update_only_if_not_newer: str | None = None,
    keep_stored_when_blank: Sequence[str] = (),
    returning: Sequence[str] = ("id",),
    using: str = "default",
) -> list[tuple]:
    """Insert `objs`, updating rows that conflict on `unique_fields`; return `returning` of rows written.

    With `update_only_if_not_newer="updated_at_shopify"`, a conflicting row is updated only when its
    stored value is older than or equal to the incoming one; a skipped row is not returned. The check
    and the write are one statement, so on PostgreSQL the row is locked while the condition is
    evaluated against its latest committed version: no reader-writer window exists. Update fields named
    in `keep_stored_when_blank` keep the stored value where the incoming one is blank, within the same
    statement (a second statement for those rows would lock them in another order than a concurrent
    batch does, and two such batches could deadlock).
    """
    if not objs:
        return []
    connection = connections[using]
    opts = model._meta
    quote = connection.ops.quote_name
    table = quote(opts.db_table)
    insert_fields = [concrete_field(opts, name) for name in fields]
    suffix = ""
    if update_only_if_not_newer:
        column = quote(column_name(opts, update_only_if_not_newer))
        suffix += f" WHERE {table}.{column} <= EXCLUDED.{column}"
    returned = (quote(column_name(opts, name)) for name in returning)
    suffix += " RETURNING " + ", ".join(f"{table}.{column}" for column in returned)

    written: list[tuple] = []
    step = _rows_per_statement(connection, len(insert_fields), len(objs))
    for start in range(0, len(objs), step):
        query = InsertQuery(
            model,
            on_conflict=OnConflict.UPDATE,
            update_fields=[concrete_field(opts, name) for name in update_fields],
            unique_fields=[concrete_field(opts, name) for name in unique_fields],
        )
        query.insert_values(insert_fields, list(objs[start : start + step]))
        [(sql, params)] = query.get_compiler(using=using).as_sql()
        for name in keep_stored_when_blank:
            column = quote(column_name(opts, name))
            assignment = f"{column} = EXCLUDED.{column}"
            if assignment not in sql:
                raise ValueError(f"{name} is not among the update fields of {sql!r}")
            sql = sql.replace(
                assignment, f"{column} = COALESCE(NULLIF(EXCLUDED.{column}, ''), {table}.{column})"
            )
        with connection.cursor() as cursor:
            cursor.execute(sql + suffix, params)
            written.extend(cursor.fetchall())
    return written
