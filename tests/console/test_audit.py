"""The hash-chained audit log on both back ends: intact chains verify; edits, deletions and insertions made
directly in SQL are found; the database itself refuses UPDATE and DELETE."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from waakhond import audit
from waakhond.store.database import Database


def _fill(db: Database, n: int = 6) -> None:
    for i in range(n):
        with audit.audited_transaction(db) as s:
            audit.record(s, actor="ana", action="case.view", subject=f"case:{i}", details={"i": i, "note": "ok"})


def _unguard(db: Database) -> None:
    """What an attacker with owner rights would do first: drop the append-only triggers."""
    with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            conn.execute(text("DROP TRIGGER audit_log_no_change ON audit_log"))
        else:
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
            conn.execute(text("DROP TRIGGER audit_log_no_delete"))


def test_an_intact_chain_verifies(any_db: Database) -> None:
    _fill(any_db)
    result = audit.verify(any_db)
    assert result.ok and result.entries == 6
    assert audit.verify(any_db, expect_head=result.head).ok


def test_the_database_refuses_updates_and_deletes(any_db: Database) -> None:
    _fill(any_db, 2)
    for sql in ("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1", "DELETE FROM audit_log WHERE seq = 2"):
        with pytest.raises(DBAPIError, match="append-only"), any_db.engine.begin() as conn:
            conn.execute(text(sql))
    assert audit.verify(any_db).ok


@pytest.mark.parametrize("sql, seq, words", [
    ("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3", 3, "content was changed"),
    ("UPDATE audit_log SET at = at + interval '1 hour' WHERE seq = 2", 2, "content was changed"),
    ("DELETE FROM audit_log WHERE seq = 4", 5, "missing"),
])
def test_edits_and_deletions_are_found(any_db: Database, sql: str, seq: int, words: str) -> None:
    _fill(any_db)
    _unguard(any_db)
    if any_db.dialect == "sqlite":
        sql = sql.replace("at + interval '1 hour'", "datetime(at, '+1 hour')")
    with any_db.engine.begin() as conn:
        conn.execute(text(sql))
    result = audit.verify(any_db)
    assert not result.ok
    assert any(p.seq == seq and words in p.message for p in result.problems), result.problems


def test_an_edit_that_also_recomputes_its_own_hash_breaks_the_next_link(any_db: Database) -> None:
    _fill(any_db)
    _unguard(any_db)
    with any_db.reading() as s:
        row = s.execute(text("SELECT seq, at, actor, action, subject, details, prev_hash FROM audit_log "
                             "WHERE seq = 2")).one()
    from datetime import UTC

    from waakhond.store.schema import AuditEntryRow

    with any_db.reading() as s:
        entry = s.get(AuditEntryRow, 2)
        assert entry is not None
        forged = audit.entry_hash(row.prev_hash, 2, entry.at.astimezone(UTC), "mallory", row.action, row.subject,
                                  entry.details)
    with any_db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory', entry_hash = :h WHERE seq = 2"), {"h": forged})
    result = audit.verify(any_db)
    assert [p.seq for p in result.problems] == [3]
    assert "does not link" in result.problems[0].message


def test_deleting_the_newest_entries_is_found_with_a_kept_head(any_db: Database) -> None:
    _fill(any_db)
    head = audit.verify(any_db).head
    _unguard(any_db)
    with any_db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq >= 5"))
    assert audit.verify(any_db).ok  # a shorter chain is still a chain …
    result = audit.verify(any_db, expect_head=head)  # … but the head kept elsewhere is gone
    assert not result.ok and "expected head" in result.problems[0].message


def test_cli_audit_verify_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from waakhond.cli.main import app

    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("WAAKHOND_DATABASE_URL", url)
    db = Database.connect(url)
    _fill(db, 3)
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify", "--json"])
    assert ok.exit_code == 0 and '"ok": true' in ok.output and '"entries": 3' in ok.output
    _unguard(db)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET details = '{\"i\": 99}' WHERE seq = 2"))
    bad = runner.invoke(app, ["audit", "verify"])
    assert bad.exit_code == 1
    assert "entry 2" in bad.output and "changed" in bad.output
    db.close()


def test_cli_user_create_and_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from waakhond.cli.main import app

    monkeypatch.setenv("WAAKHOND_DATABASE_URL", f"sqlite:///{tmp_path}/users.db")
    runner = CliRunner()
    r = runner.invoke(app, ["user", "create", "ana", "--role", "child_safety_lead", "--json"])
    assert r.exit_code == 0, r.output
    import orjson

    created: dict[str, Any] = orjson.loads(r.output)
    assert created["role"] == "child_safety_lead" and len(created["password"]) >= 12
    r = runner.invoke(app, ["user", "create", "ana"])
    assert r.exit_code == 1 and "exists already" in r.output
    r = runner.invoke(app, ["user", "create", "bob", "--role", "boss"])
    assert r.exit_code == 1 and "role must be one of" in r.output
    listed = orjson.loads(runner.invoke(app, ["user", "list", "--json"]).output)
    assert [u["username"] for u in listed] == ["ana"]
    actions = orjson.loads(runner.invoke(app, ["audit", "show", "--json"]).output)
    assert actions[0]["action"] == "user.create" and actions[0]["subject"] == "user:ana"
