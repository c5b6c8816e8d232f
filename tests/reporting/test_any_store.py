"""The reporting queries on both stores (SQLite and a real PostgreSQL): statements of reasons, the webhook
outbox cursor, the hotline queue's claim, and the evidence of a case."""

from __future__ import annotations

from sqlalchemy import select

from waakhond.demo.world import demo_events
from waakhond.pipeline import Engine
from waakhond.reporting import dsa, hotline
from waakhond.reporting.config import Reporter, ReportingConfig
from waakhond.reporting.evidence import gather
from waakhond.reporting.webhooks import Outbox, WebhookConfig
from waakhond.store.database import Database
from waakhond.store.schema import CaseRow, HotlineReportRow, WebhookDeliveryRow


def test_reporting_queries_on_every_store(any_db: Database) -> None:
    engine = Engine(any_db)
    outbox = Outbox(any_db, WebhookConfig.of(["http://127.0.0.1:9/hook"], "a shared webhook secret"))
    outbox.fill()  # the cursor starts now
    engine.process(demo_events())
    assert outbox.fill() > 0 and outbox.fill() == 0  # each decision once
    with any_db.reading() as s:
        deliveries = s.scalars(select(WebhookDeliveryRow)).all()
        assert {d.payload["verdict"] for d in deliveries} >= {"hold_message"}
        statements = dsa.statements(s, limit=50)
        assert statements and all(st.transparency_db()["puid"] == st.id for st in statements)
        assert dsa.statement(s, statements[0].id) is not None
        case = s.scalars(select(CaseRow).where(CaseRow.conversation_id == "dm:ghost_rider:lotte")).one()
        ev = gather(s, case.id)
    assert ev.reported is not None and ev.reported.account_id == "ghost_rider"
    assert [v.account_id for v in ev.victims] == ["lotte"] and ev.tactics

    with any_db.transaction() as s:
        s.add(HotlineReportRow(case_id=case.id, hotline="ncmec", environment="test", status="queued", params={},
                               prior_report_ids=[], files=[], attempts=0, last_error="", requested_by="mo",
                               approved_by="lee"))
    config = ReportingConfig(reporter=Reporter("Ada", "Admin", "safety@example.org"))  # no credentials
    [result] = hotline.process_queue(any_db, config)
    assert result["status"] == "failed" and result["attempts"] == 1
    assert "WAAKHOND_NCMEC_USERNAME" in result["last_error"]
    assert hotline.process_queue(any_db, config) == []  # a failed report waits for a person
    outbox.close()
