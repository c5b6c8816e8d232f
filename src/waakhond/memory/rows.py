"""Rows of the memory tables for one transaction: plain objects read in bulk, written back with Core statements.

Memory (accounts, relations, conversations) and behaviour memory (windows, style profiles, rooms, identifiers)
read and change a handful of rows per event. Through the ORM's unit of work that cost more CPU than the
detectors: instrumented objects, an attribute event per assignment, a topological sort and one statement per
row kind at every autoflush. Here a row is a plain slotted object with the attributes of its ORM class, read
with one query per table for a whole batch (:class:`InQuery`), and written back with one executemany ``INSERT`` for the
new rows and one executemany ``UPDATE`` per set of changed columns. What changed is found by comparing each
row with the values last read or written, so callers change rows by plain assignment, as they would an ORM
object. As with the ORM's JSON columns, a JSON value must be replaced (``row.state = {...}``), not changed in
place, to be written. Only the changed columns are written, so a column another transaction set in the
meantime (an operator suspending an account from the console) is not overwritten with an old value.

    >>> rows = Rows(AccountRow)                       # one per table per transaction   # doctest: +SKIP
    >>> rows.load(conn, ["u1", "u2"])                 # one query for the batch          # doctest: +SKIP
    >>> acc = rows.get(conn, "u1"); acc.risk = 0.4    # doctest: +SKIP
    >>> rows.flush(conn)                              # UPDATE accounts SET risk=… WHERE id=…  # doctest: +SKIP

Records are typed as the ORM class they mirror (they have exactly its attributes), so mypy checks their use.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import field, make_dataclass
from operator import attrgetter
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, and_, bindparam, insert, or_, select, update
from sqlalchemy.sql import Executable

from waakhond.store.direct import Direct

R = TypeVar("R")

#: Keys per query (well under every backend's limit on bound parameters, and under SQLite's expression depth of
#: 1,000 for the ``OR`` of a composite key).
CHUNK = 512
COMPOSITE_CHUNK = 256


class InQuery:
    """``SELECT columns WHERE key IN (…)`` for any number of keys, with a fixed number of bound parameters: the
    next power of two, padded by repeating a key. So there is one statement per size, compiled once, instead of
    SQLAlchemy re-rendering an expanding ``IN`` on every execution (that cost about as much as the query
    itself) and the database preparing a new statement for every length.

    A composite key is looked up as ``(a = ? AND b = ?) OR (a = ? AND b = ?) …``: each term is one index lookup
    on SQLite and PostgreSQL. Row values, ``(a, b) IN (…)``, make SQLite scan the whole table, and
    ``a IN (…) AND b IN (…)`` returns the cross product (for 512 pairs of relations: 4,557 rows in 56 ms, against
    27 rows in 1.4 ms)."""

    def __init__(self, columns: Sequence[Any], keys: Sequence[Any]) -> None:
        self.columns = list(columns)
        self.keys = list(keys)
        self.chunk = CHUNK if len(self.keys) == 1 else COMPOSITE_CHUNK
        self._statements: dict[int, tuple[Direct, tuple[str, ...]]] = {}

    def execute(self, conn: Connection, keys: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Rows whose key is in ``keys`` (1 to ``self.chunk`` of them: values, or tuples for a composite key)."""
        size = 1 << (len(keys) - 1).bit_length()
        found = self._statements.get(size)
        if found is None:
            if len(self.keys) == 1:
                names = tuple(f"k{i}" for i in range(size))
                where = self.keys[0].in_([bindparam(n) for n in names])
            else:
                names = tuple(f"k{i}_{j}" for i in range(size) for j in range(len(self.keys)))
                where = or_(*(and_(*(c == bindparam(f"k{i}_{j}") for j, c in enumerate(self.keys)))
                              for i in range(size)))
            found = self._statements[size] = (Direct(select(*self.columns).where(where)), names)
        statement, names = found
        padded = [*keys, *[keys[-1]] * (size - len(keys))]
        values = padded if len(self.keys) == 1 else [v for k in padded for v in k]
        return statement.fetch(conn, names, values)


class _Table:
    """What is the same for every transaction: the record class and the statements (built once, so
    SQLAlchemy's compiled-statement cache is hit without rebuilding a cache key per query)."""

    def __init__(self, model: type) -> None:
        table = model.__table__  # type: ignore[attr-defined]
        self.table = table
        self.names: tuple[str, ...] = tuple(c.key for c in table.columns)
        keys = list(table.primary_key.columns)
        self.key_names: tuple[str, ...] = tuple(c.key for c in keys)
        self.record = _record_class(model.__name__.removesuffix("Row"), table.columns)
        self.values = attrgetter(*self.names)
        self.key = attrgetter(*self.key_names)
        self.select = InQuery(list(table.columns), keys)
        self.insert = Direct(insert(table))
        #: ``insert_now`` needs the key the store assigns: through SQLAlchemy (``inserted_primary_key``)
        self.insert_returning: Executable = insert(table)
        self.update = Direct(update(table).where(and_(*(c == bindparam(f"key_{c.key}") for c in keys))))
        self.update_keys = tuple(f"key_{n}" for n in self.key_names)


def _record_class(name: str, columns: Iterable[Any]) -> type:
    """A slotted dataclass with one field per column, in column order, defaulting as the column does."""
    fields: list[tuple[str, Any, Any]] = []
    for c in columns:
        d = c.default
        if d is not None and d.is_scalar:
            spec = field(default=d.arg)
        elif d is not None and d.is_callable:
            spec = field(default_factory=functools.partial(d.arg, None))  # SQLAlchemy wraps it to take a context
        else:
            spec = field(default=None)
        fields.append((c.key, Any, spec))
    return make_dataclass(name, fields, slots=True, eq=False, repr=True)


_TABLES: dict[type, _Table] = {}


def _table(model: type) -> _Table:
    if model not in _TABLES:
        _TABLES[model] = _Table(model)
    return _TABLES[model]


class Rows(Generic[R]):
    """The rows of one table that one transaction has read or added (``None`` for keys known to be absent)."""

    def __init__(self, model: type[R]) -> None:
        self._t = _table(model)
        self.rows: dict[Any, R | None] = {}
        #: values as in the store (``None``: not stored yet, to be inserted)
        self._stored: dict[Any, tuple[Any, ...] | None] = {}
        #: keys handed out since the last flush (only they can have changed since), in order
        self._touched: dict[Any, None] = {}
        #: keys of rows added since the last flush, in the order they were added (and are inserted)
        self._new: dict[Any, None] = {}

    def new(self, **values: Any) -> R:
        """Add a row that is not in the store yet (it is inserted at the next flush)."""
        row: R = self._t.record(**values)
        key = self._t.key(row)
        self.rows[key] = row
        self._stored[key] = None
        self._new[key] = None
        return row

    def load(self, conn: Connection, keys: Iterable[Any]) -> None:
        """Read the rows for ``keys`` not read yet, in one query per :data:`CHUNK` keys (exactly those rows)."""
        wanted = sorted({k for k in keys if k not in self.rows})
        t = self._t
        step = t.select.chunk
        for i in range(0, len(wanted), step):
            for values in t.select.execute(conn, wanted[i : i + step]):
                self.adopt(values)
        for k in wanted:
            self.rows.setdefault(k, None)

    def adopt(self, values: Sequence[Any]) -> R:
        """Keep a row read from the store by other means (``values`` in column order)."""
        row: R = self._t.record(*values)
        key = self._t.key(row)
        self.rows[key] = row
        self._stored[key] = tuple(values)
        self._touched[key] = None
        return row

    def insert_now(self, conn: Connection, **values: Any) -> R:
        """Insert a row at once, for tables whose key the store assigns (the caller needs it now)."""
        row: R = self._t.record(**values)
        keys = self._t.key_names
        columns = {n: v for n, v in zip(self._t.names, self._t.values(row), strict=True)
                   if v is not None or n not in keys}
        key = conn.execute(self._t.insert_returning, columns).inserted_primary_key
        assert key is not None
        for name, value in zip(self._t.key_names, key, strict=True):
            setattr(row, name, value)
        return self.adopt(self._t.values(row))

    def get(self, conn: Connection, key: Any) -> R | None:
        """The row for ``key`` (read from the store the first time), or ``None`` if there is none."""
        if key not in self.rows:
            self.load(conn, (key,))
        row = self.rows[key]
        if row is not None:
            self._touched[key] = None
        return row

    def flush(self, conn: Connection, everything: bool = False) -> None:
        """Write new rows and changed columns. ``everything`` compares every row read in the transaction, not
        only those handed out since the last flush (the final flush before commit does)."""
        t = self._t
        names = t.names
        inserts: list[tuple[Any, ...]] = []
        for key in self._new:
            now = t.values(self.rows[key])
            inserts.append(now)
            self._stored[key] = now
        keys = [k for k, r in self.rows.items() if r is not None] if everything else list(self._touched)
        self._touched, self._new = {}, {}
        #: changed columns → rows of their new values followed by the key's
        updates: dict[tuple[int, ...], list[tuple[Any, ...]]] = {}
        for key in keys:
            before = self._stored[key]
            now = t.values(self.rows[key])
            if before is None or now == before:  # None: a new row, inserted above
                continue
            changed = tuple(i for i, (a, b) in enumerate(zip(now, before, strict=True)) if a is not b and a != b)
            key_values = key if isinstance(key, tuple) else (key,)
            updates.setdefault(changed, []).append((*(now[i] for i in changed), *key_values))
            self._stored[key] = now
        t.insert.write(conn, names, inserts)
        for columns, rows in updates.items():
            t.update.write(conn, (*(names[i] for i in columns), *t.update_keys), rows)


__all__ = ["Rows"]
