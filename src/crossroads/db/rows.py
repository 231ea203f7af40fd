"""Writing the many small rows one record owns (its name tokens, its matching keys) in one statement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import cast

from sqlalchemy import ARRAY, FromClause, Insert, String, Table, bindparam, func, insert, select
from sqlalchemy.orm import Session


@lru_cache(maxsize=32)
def _unnest_insert(table: Table, owner: str, column: str, constants: tuple[str, ...]) -> Insert:
    # PostgreSQL takes the values as one array and unnests it: one statement to plan and execute, where
    # executemany sends and executes one INSERT per row.
    values = select(bindparam("owner", type_=table.c[owner].type),
                    *(bindparam(f"const_{name}", type_=table.c[name].type) for name in constants),
                    func.unnest(bindparam("values", type_=ARRAY(String))))
    return insert(table).from_select([owner, *constants, column], values)


@lru_cache(maxsize=32)
def _insert(table: Table) -> Insert:
    return insert(table)


def insert_owned(session: Session, table: FromClause, *, owner: str, owner_id: object, column: str,
                 values: Sequence[str], constants: Mapping[str, object] | None = None) -> None:
    """Insert a row (owner=owner_id, column=value, **constants) for each value into a model's table
    (`Model.__table__`).

    Plain rows: nothing reads them back as objects, and the unit of work costs more per object than the insert.
    """
    if not values:
        return
    table = cast(Table, table)
    constants = dict(constants or {})
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_unnest_insert(table, owner, column, tuple(constants)),
                        {"owner": owner_id, "values": list(values),
                         **{f"const_{name}": value for name, value in constants.items()}})
    else:
        # SQLite runs in this process: executemany costs no round trips.
        session.execute(_insert(table), [{owner: owner_id, column: v, **constants} for v in values])
