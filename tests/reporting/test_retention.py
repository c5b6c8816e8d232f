"""Retention and purge, on SQLite and PostgreSQL: what the policy lets go is purged, the evidence of a case
with an open hotline report, a recent report or a legal hold never is, and every purge is audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from waakhond import audit
from waakhond.demo.world import demo_events
from waakhond.pipeline import Engine
from waakhond.reporting import retention
from waakhond.reporting.config import ConfigError
from waakhond.reporting.retention import RetentionPolicy
from waakhond.store.database import Database
from waakhond.store.schema import AuditEntryRow, CaseRow, DecisionRow, EventRow, HotlineReportRow, utcnow

LATER = datetime(2028, 1, 1, tzinfo=UTC)  # every demo event is older than 30 days by then
SHORT = RetentionPolicy.parse("messages=30,media_hashes=30,decisions=30,cases=30,reported_evidence=365")


def _events(db: Database, conversation_id: str) -> int:
    with db.reading() as s:
        return int(s.scalar(select(func.count()).select_from(EventRow)
                            .where(EventRow.conversation_id == conversation_id)) or 0)


def _case(db: Database, subject: str) -> CaseRow | None:
    with db.reading() as s:
        return s.scalars(select(CaseRow).where(CaseRow.subject_key == subject)).first()


@pytest.fixture
def demo(any_db: Database) -> Engine:
    engine = Engine(any_db)
    engine.process(demo_events())
    return engine


def test_purge_keeps_reported_and_held_evidence_and_is_audited(demo: Engine) -> None:
    db = demo.db
    grooming, stream, account_case = (_case(db, "conversation:dm:ghost_rider:lotte"),
                                      _case(db, "conversation:livestream:karaoke-mia"), _case(db, "account:bigfan99"))
    assert grooming and stream and account_case
    hold = retention.place_hold(db, grooming.id, "police request 2026-117", "ada")
    with db.transaction() as s:  # a hotline report that failed and waits for a retry
        s.add(HotlineReportRow(case_id=stream.id, hotline="ncmec", environment="test", status="failed",
                               params={}, prior_report_ids=[], files=[], attempts=1, last_error="HTTP 500",
                               requested_by="mo", approved_by="lee"))
        s.get(CaseRow, account_case.id).status = "closed"  # type: ignore[union-attr]
    before = {c: _events(db, c) for c in ("dm:ghost_rider:lotte", "livestream:karaoke-mia", "dm:noor:sam")}
    assert all(before.values())

    dry = retention.purge(db, SHORT, dry_run=True, now=LATER)
    assert dry.counts["messages"] > 0 and dry.counts["cases"] == 1
    assert {c: _events(db, c) for c in before} == before  # a dry run changes nothing
    with db.reading() as s:
        assert not s.scalars(select(AuditEntryRow).where(AuditEntryRow.action == "retention.purge")).all()

    done = retention.purge(db, SHORT, now=LATER, actor="cli")
    assert done.counts == dry.counts and sorted(done.protected_cases) == sorted([grooming.id, stream.id])
    assert _events(db, "dm:ghost_rider:lotte") == before["dm:ghost_rider:lotte"]  # legal hold
    assert _events(db, "livestream:karaoke-mia") == before["livestream:karaoke-mia"]  # open hotline report
    assert _events(db, "dm:noor:sam") == 0  # nobody's evidence: purged
    assert _case(db, "account:bigfan99") is None and _case(db, "conversation:dm:ghost_rider:lotte") is not None
    with db.reading() as s:
        [entry] = s.scalars(select(AuditEntryRow).where(AuditEntryRow.action == "retention.purge")).all()
        assert entry.actor == "cli" and entry.details["counts"] == done.counts
        # decisions of kept evidence keep their detail; no event is left without its decision
        kept = s.scalars(select(DecisionRow).where(DecisionRow.conversation_id == "dm:ghost_rider:lotte")).all()
        assert kept and all(d.policy_version != retention.PURGED for d in kept)
        orphans = s.scalar(select(func.count()).select_from(EventRow).outerjoin(
            DecisionRow, DecisionRow.event_id == EventRow.id).where(DecisionRow.event_id.is_(None)))
        assert orphans == 0
    assert audit.verify(db).ok

    # the hold is released: the next purge may take that evidence too
    retention.release_hold(db, hold["id"], "ada")
    retention.purge(db, SHORT, now=LATER)
    assert _events(db, "dm:ghost_rider:lotte") == 0
    assert _events(db, "livestream:karaoke-mia") == before["livestream:karaoke-mia"]  # still an open report


def test_a_reported_case_is_kept_for_a_year_after_the_report(demo: Engine) -> None:
    db = demo.db
    grooming = _case(db, "conversation:dm:ghost_rider:lotte")
    assert grooming is not None
    reported_at = utcnow()
    with db.transaction() as s:
        s.add(HotlineReportRow(case_id=grooming.id, hotline="ncmec", environment="test", status="submitted",
                               report_id="90000001", params={}, prior_report_ids=[], files=[], attempts=1,
                               last_error="", requested_by="mo", approved_by="lee", submitted_at=reported_at))
        s.get(CaseRow, grooming.id).status = "closed"  # type: ignore[union-attr]
    n = _events(db, "dm:ghost_rider:lotte")
    retention.purge(db, SHORT, now=reported_at + timedelta(days=364))
    assert _events(db, "dm:ghost_rider:lotte") == n and _case(db, grooming.subject_key) is not None
    retention.purge(db, SHORT, now=reported_at + timedelta(days=366))
    assert _events(db, "dm:ghost_rider:lotte") == 0 and _case(db, grooming.subject_key) is None


def test_stripped_decisions_still_answer_a_replay(demo: Engine) -> None:

    db = demo.db
    keep_text = RetentionPolicy.parse("messages=never,media_hashes=never,decisions=30,cases=never")
    done = retention.purge(db, keep_text, now=LATER)
    assert done.counts["decisions"] > 0 and "messages" not in done.counts
    first = next(e for e in demo_events() if e.kind == "message")
    again = demo.process([first])[0]  # the same event sent again: the stored (stripped) decision
    assert again.signals == () and "purged" in again.explanation
    with db.reading() as s:
        assert s.get(EventRow, first.id) is not None


def test_a_never_policy_purges_nothing(demo: Engine) -> None:
    never = RetentionPolicy.parse("messages=never,media_hashes=never,decisions=never,cases=never")
    assert retention.purge(demo.db, never, now=LATER).counts == {}
    assert parse_event_count(demo.db) == len(demo_events())


def parse_event_count(db: Database) -> int:
    with db.reading() as s:
        return int(s.scalar(select(func.count()).select_from(EventRow)) or 0)


@pytest.mark.parametrize("text", ["messages=0", "messages=ten", "mesages=30", "reported_evidence=never", "cases"])
def test_bad_policies_are_refused_with_the_variable_named(text: str) -> None:
    with pytest.raises(ConfigError, match="WAAKHOND_RETENTION"):
        RetentionPolicy.parse(text)


def test_legal_hold_on_an_unknown_case_is_refused(db: Database) -> None:
    with pytest.raises(LookupError):
        retention.place_hold(db, 999, "x", "ada")


def test_purge_cli_dry_run_and_real(db: Database, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from waakhond.cli.main import app

    url = str(db.engine.url)
    Engine(db).process(demo_events())
    monkeypatch.setenv("WAAKHOND_DATABASE_URL", url)
    monkeypatch.setenv("WAAKHOND_RETENTION", "messages=1,media_hashes=1,decisions=1,cases=1")
    runner = CliRunner()
    r = runner.invoke(app, ["retention", "purge", "--dry-run", "--json"])
    assert r.exit_code == 0, r.output
    assert '"dry_run": true' in r.output and parse_event_count(db) == len(demo_events())
    r = runner.invoke(app, ["retention", "purge", "--json"])
    assert r.exit_code == 0, r.output
    assert parse_event_count(db) < len(demo_events())
    monkeypatch.setenv("WAAKHOND_RETENTION", "messages=soon")
    r = runner.invoke(app, ["retention", "purge"])
    assert r.exit_code == 1 and "WAAKHOND_RETENTION" in r.output


def test_serve_runs_the_purge_on_schedule_and_refuses_a_bad_policy(db: Database,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from typer.testing import CliRunner

    from waakhond.cli.main import app
    from waakhond.reporting.webhooks import WebhookConfig
    from waakhond.reporting.worker import BackgroundWorker

    worker = BackgroundWorker(db, webhooks=WebhookConfig(), purge_every_hours=24, tick=0.05).start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with db.reading() as s:
                if s.scalars(select(AuditEntryRow).where(AuditEntryRow.action == "retention.purge")).first():
                    break
            time.sleep(0.05)
        else:
            pytest.fail("the worker did not purge at start")
    finally:
        worker.stop()
    monkeypatch.setenv("WAAKHOND_DATABASE_URL", str(db.engine.url))
    monkeypatch.setenv("WAAKHOND_RETENTION", "messages=forever")
    r = CliRunner().invoke(app, ["serve", "--port", "1"])
    assert r.exit_code == 1 and "WAAKHOND_RETENTION" in r.output
