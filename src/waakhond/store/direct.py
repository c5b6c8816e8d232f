"""Core statements run straight on the DBAPI cursor: the engine's hot statements without SQLAlchemy's
per-execution work.

A transaction of the write path runs about a dozen statements (memory reads, the events, decisions and memory
rows it writes). Through ``Connection.execute`` each one paid for a compiled-cache lookup, an execution context,
``construct_params``, a result object and a row proxy: three times what SQLite itself spent. :class:`Direct`
compiles a statement once per dialect and set of parameter names with SQLAlchemy's own compiler, and binds and
reads values with the column types' own processors (the same functions SQLAlchemy would call: ``UTCDateTime``,
JSON with the engine's serializer, booleans), so what reaches the database — and what comes back — is what
``Connection.execute`` gives, on SQLite and PostgreSQL alike. It runs on the connection of the caller's
transaction, so it commits or rolls back with everything else.

    >>> LOAD = Direct(select(AccountRow.id, AccountRow.risk).where(AccountRow.id == bindparam("k")))  # doctest: +SKIP
    >>> LOAD.fetch(conn, ("k",), ("u1",))                               # [("u1", 0.0)]        # doctest: +SKIP
    >>> Direct(insert(EventRow)).write(conn, EVENT_COLUMNS, rows)       # one executemany      # doctest: +SKIP

Only statements whose parameters are all given by the caller qualify: no Python-side column defaults, no
expanding ``IN`` (see :class:`waakhond.memory.rows.InQuery` for fixed-size lists). DBAPI errors are raised as
SQLAlchemy's exceptions (``IntegrityError`` …), and a lost connection is invalidated, as ``execute`` does.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable
from sqlalchemy.sql.expression import ClauseElement

Processor = Callable[[Any], Any]


class _Plan:
    """One statement compiled for one dialect and one tuple of parameter names."""

    __slots__ = ("_read", "constants", "names", "readers", "result_types", "slots", "sql")

    def __init__(self, sql: str, slots: tuple[tuple[int, Processor | None], ...], constants: tuple[Any, ...],
                 names: tuple[str, ...] | None, result_types: tuple[Any, ...]) -> None:
        self.sql = sql
        #: for each DBAPI parameter (in the order a positional paramstyle wants them): the index of its value in
        #: the caller's tuple followed by ``constants`` (literals of the statement, bound already), and the type's
        #: bind processor
        self.slots = slots
        self.constants = constants
        #: parameter names as the DBAPI wants them (named paramstyles), else None
        self.names = names
        #: the selected columns' types; their result processors (``readers``, ``None`` when no column needs one)
        #: are made at the first fetch, since they may depend on the driver's description of the columns
        self.result_types = result_types
        self.readers: list[Processor | None] | None = None
        self._read = False

    def bind(self, values: Sequence[Any]) -> Sequence[Any] | dict[str, Any]:
        if self.constants:
            values = (*values, *self.constants)
        params = [values[i] if p is None else p(values[i]) for i, p in self.slots]
        return params if self.names is None else dict(zip(self.names, params, strict=True))

    def read(self, dialect: Dialect, description: Sequence[Any] | None) -> list[Processor | None] | None:
        if not self._read:
            if description is None or len(description) != len(self.result_types):
                raise ValueError("Direct: fetch on a statement that returns other columns than it selects")
            found = [t.dialect_impl(dialect).result_processor(dialect, d[1])
                     for t, d in zip(self.result_types, description, strict=True)]
            self.readers = found if any(p is not None for p in found) else None
            self._read = True
        return self.readers


class Direct:
    """A Core statement (``select``, ``insert``, ``update``, ``delete``) run on the DBAPI cursor of a
    :class:`~sqlalchemy.Connection`. Parameters are given as a tuple of names and tuples of values in that order
    (column keys for ``insert``/``update`` values, bind parameter names for the rest)."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._plans: weakref.WeakKeyDictionary[Dialect, dict[tuple[str, ...], _Plan]] = weakref.WeakKeyDictionary()

    def fetch(self, conn: Connection, names: tuple[str, ...], values: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Execute once and return every row as a tuple of Python values (as ``execute(...).all()`` would)."""
        plan = self._plan(conn.dialect, names)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            params = plan.bind(values)
            try:
                cursor.execute(plan.sql, params)
                rows = cursor.fetchall()
            except conn.dialect.loaded_dbapi.Error as exc:
                raise _wrapped(conn, exc, plan.sql, params, cursor) from exc
            readers = plan.read(conn.dialect, cursor.description)
        finally:
            cursor.close()
        if readers is None:
            return list(rows)  # tuples, from sqlite3 and psycopg alike
        return [tuple(v if p is None else p(v) for p, v in zip(readers, r, strict=True)) for r in rows]

    def write(self, conn: Connection, names: tuple[str, ...], rows: Sequence[Sequence[Any]]) -> None:
        """Execute for each tuple of ``rows`` (one ``executemany``; nothing for no rows)."""
        if not rows:
            return
        plan = self._plan(conn.dialect, names)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        params: Any = None
        try:
            if len(rows) == 1:
                params = plan.bind(rows[0])
                cursor.execute(plan.sql, params)
            else:
                params = [plan.bind(r) for r in rows]
                cursor.executemany(plan.sql, params)
        except conn.dialect.loaded_dbapi.Error as exc:
            raise _wrapped(conn, exc, plan.sql, params, cursor) from exc
        finally:
            cursor.close()

    # -- compiling -----------------------------------------------------------------------------------------------
    def _plan(self, dialect: Dialect, names: tuple[str, ...]) -> _Plan:
        plans = self._plans.get(dialect)
        if plans is None:
            plans = self._plans[dialect] = {}
        plan = plans.get(names)
        if plan is None:
            plan = plans[names] = self._compile(dialect, names)
        return plan

    def _compile(self, dialect: Dialect, names: tuple[str, ...]) -> _Plan:
        assert isinstance(self.statement, ClauseElement)
        compiled: Any = self.statement.compile(dialect=dialect, column_keys=list(names))
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("Direct: expanding or literal parameters are rendered per execution; not supported")
        if compiled.insert_prefetch or compiled.update_prefetch:
            raise ValueError(f"Direct: a column default is computed per execution in {compiled.string!r}; give "
                             f"every column a value")
        order: list[str] = list(compiled.positiontup) if compiled.positional else list(compiled.binds)
        binds = compiled.binds
        missing = [n for n in order if n not in names and (binds[n].required or binds[n].callable is not None)]
        if missing:
            raise ValueError(f"Direct: no value given for {', '.join(missing)} in {compiled.string!r}")
        processors = {n: binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in order}
        fixed = list(dict.fromkeys(n for n in order if n not in names))  # literals (``status == "open"``)
        constants = tuple(binds[n].value if processors[n] is None else processors[n](binds[n].value) for n in fixed)
        slots = tuple((names.index(n), processors[n]) if n in names else (len(names) + fixed.index(n), None)
                      for n in order)
        escaped = compiled.escaped_bind_names or {}
        named = None if compiled.positional else tuple(escaped.get(n, n) for n in order)
        result_types = tuple(c.type for c in getattr(self.statement, "selected_columns", ()))
        return _Plan(compiled.string, slots, constants, named, result_types)


def _wrapped(conn: Connection, exc: Any, sql: str, params: Any, cursor: Any) -> Exception:
    """The DBAPI error as SQLAlchemy raises it (``IntegrityError`` …); a lost connection is invalidated."""
    dialect = conn.dialect
    lost = dialect.is_disconnect(exc, conn.connection.dbapi_connection, cursor)
    if lost:
        conn.invalidate(exc)
    return DBAPIError.instance(sql, params, exc, dialect.loaded_dbapi.Error, connection_invalidated=lost,
                               dialect=dialect, ismulti=isinstance(params, list))


__all__ = ["Direct"]
