"""CyberTipline reports end to end: a moderator prepares, a second person approves, the worker sends the report
to a fake CyberTipline that speaks the documented protocol; and every way that can fail, failing loudly."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import select
from tests.console.conftest import case_id_for, csrf_of

from waakhond import audit
from waakhond.events import parse_event
from waakhond.reporting import hotline
from waakhond.reporting.config import Reporter, ReportingConfig
from waakhond.reporting.ncmec.validate import validate
from waakhond.reporting.ncmec.xml import ENTICEMENT
from waakhond.store.apikeys import create_key
from waakhond.store.schema import ApprovalRow, AuditEntryRow, HotlineReportRow

GROOMING = "dm:ghost_rider:lotte"


def prepare_and_approve(world: Any, as_user: Any, **form: str) -> int:
    """mo prepares a hotline report on the grooming case in the console; lee approves it. → hotline report row id"""
    cid = case_id_for(world, GROOMING)
    mo = as_user("mo")
    page = mo.get(f"/console/cases/{cid}").text
    r = mo.post(f"/console/cases/{cid}/action", data={"csrf": csrf_of(page), "action": "hotline_report",
                                                        "note": "grooming of a 12-year-old", **form})
    assert r.status_code in (200, 303), r.text
    with world.db.reading() as s:
        appr = s.scalars(select(ApprovalRow).where(ApprovalRow.kind == "hotline_report",
                                                   ApprovalRow.status == "pending")).one()
    # nothing is queued before the second person approves
    with world.db.reading() as s:
        assert not hotline.list_reports(s, case_id=cid, limit=10) or all(
            r.status != "queued" for r in hotline.list_reports(s, case_id=cid))
    lee = as_user("lee")
    page = lee.get("/console/approvals").text
    r = lee.post(f"/console/approvals/{appr.id}", data={"csrf": csrf_of(page), "decision": "approve"})
    assert r.status_code in (200, 303), r.text
    with world.db.reading() as s:
        row = s.scalars(select(HotlineReportRow).where(HotlineReportRow.approval_id == appr.id)).one()
    assert row.status == "queued" and row.approved_by == "lee" and row.requested_by == "mo"
    return row.id


def _xml(body: bytes) -> Any:
    return etree.fromstring(body)


def test_grooming_case_is_reported_after_four_eyes(world: Any, as_user: Any, ncmec: Any, config: Any,
                                                    client_factory: Any) -> None:
    fake, _ = ncmec
    rid = prepare_and_approve(world, as_user)
    [result] = hotline.process_queue(world.db, config, client_factory=client_factory)
    assert result["status"] == "submitted", result["last_error"]
    assert fake.paths() == ["/submit", "/upload", "/fileinfo", "/upload", "/fileinfo", "/finish"]
    report = fake.reports[result["report_id"]]
    assert report.finished and not report.retracted
    root = _xml(report.xml)
    # text-only grooming can be filed: enticement, the reported adult, the child as victim
    assert root.findtext("incidentSummary/incidentType") == ENTICEMENT
    assert root.findtext("personOrUserReported/espIdentifier") == "ghost_rider"
    assert root.findtext("personOrUserReported/screenName") == "ghost_rider"
    assert root.findtext("personOrUserReported/espService") == "Karaoke Kids"
    assert [v.findtext("espIdentifier") for v in root.iterfind("victim")] == ["lotte"]
    assert root.findtext("victim/victimPerson/age") == "11"  # born 2014: 11 or 12, the lower one
    assert "2014" in root.findtext("victim/additionalInfo")
    assert root.findtext("reporter/reportingPerson/email") == "safety@example.org"
    assert root.find("personOrUserReported/priorCTReports") is None  # a first report
    # the chat is attached as a file, with its hash; the reviewer read the case, so viewed = true
    files = list(report.files.values())
    chat = next(f for f in files if f["name"].endswith("-chat.txt"))
    assert b"ghost_rider" in chat["data"] and b"lotte" in chat["data"]
    details = _xml(chat["details"])
    assert details.findtext("fileViewedByEsp") == "true"
    assert details.find("originalFileHash[@hashType='MD5']").text == chat["md5"]
    # the picture was never revealed in the console: the report says so
    pic = next(f for f in files if f["name"] == "pic-1.png")
    pic_details = _xml(pic["details"])
    assert pic_details.findtext("fileViewedByEsp") == "false"
    assert pic_details.find("originalFileHash[@hashType='PDQ']") is not None
    assert pic_details.find("industryClassification") is None  # nobody classified what nobody saw
    with world.db.reading() as s:
        row = s.get(HotlineReportRow, rid)
        assert row is not None and row.report_id == result["report_id"] and len(row.files) == 2
        acts = [e.action for e in s.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq))]
    assert acts.index("approval.request") < acts.index("approval.approve") < acts.index("hotline.submitted")
    assert audit.verify(world.db).ok


def test_revealed_media_is_reported_as_viewed_with_its_classification(world: Any, as_user: Any, ncmec: Any,
                                                                      config: Any, client_factory: Any) -> None:
    fake, _ = ncmec
    cid = case_id_for(world, GROOMING)
    mo = as_user("mo")
    page = mo.get(f"/console/cases/{cid}").text
    assert mo.post(f"/console/cases/{cid}/media/pic-1/reveal",
                   headers={"X-CSRF-Token": csrf_of(page)}).status_code == 200
    prepare_and_approve(world, as_user, classification="b2", incident_type="")
    [result] = hotline.process_queue(world.db, config, client_factory=client_factory)
    files = fake.reports[result["report_id"]].files.values()
    pic = _xml(next(f for f in files if f["name"] == "pic-1.png")["details"])
    assert pic.findtext("fileViewedByEsp") == "true"
    assert pic.findtext("industryClassification") == "B2"
    root = _xml(fake.reports[result["report_id"]].xml)
    assert root.findtext("incidentSummary/incidentType").startswith("Child Pornography")


def test_a_follow_up_report_names_the_prior_report(world: Any, as_user: Any, ncmec: Any, config: Any,
                                                   client_factory: Any) -> None:
    fake, _ = ncmec
    prepare_and_approve(world, as_user)
    [first] = hotline.process_queue(world.db, config, client_factory=client_factory)
    prepare_and_approve(world, as_user)
    [second] = hotline.process_queue(world.db, config, client_factory=client_factory)
    assert second["status"] == "submitted" and second["kind"] == "follow-up"
    assert second["prior_report_ids"] == [first["report_id"]]
    root = _xml(fake.reports[second["report_id"]].xml)
    assert root.findtext("personOrUserReported/priorCTReports/priorCTReport") == first["report_id"]
    details = [_xml(f["details"]) for f in fake.reports[second["report_id"]].files.values()]
    assert {d.findtext("fileRelevance") for d in details} == {"Supplemental Reported"}


def test_ip_capture_events_are_reported_when_the_platform_sends_them(world: Any, as_user: Any, ncmec: Any,
                                                                     config: Any, client_factory: Any) -> None:
    fake, _ = ncmec
    world.process([parse_event({"id": "ip-1", "kind": "message", "occurred_at": "2026-11-06T10:00:00Z",
                                "sender_id": "ghost_rider", "recipient_ids": ["lotte"], "channel": "dm",
                                "text": "hi again", "client_ip": "203.0.113.7"})])
    prepare_and_approve(world, as_user)
    [result] = hotline.process_queue(world.db, config, client_factory=client_factory)
    root = _xml(fake.reports[result["report_id"]].xml)
    ip = root.find("personOrUserReported/ipCaptureEvent")
    assert ip is not None and ip.findtext("ipAddress") == "203.0.113.7"
    assert ip.findtext("dateTime") == "2026-11-06T10:00:00Z"


# ---- failures are loud ------------------------------------------------------------------------------------
def test_server_errors_are_retried_then_the_report_is_retracted_and_stays_failed(
        world: Any, as_user: Any, ncmec: Any, config: Any, client_factory: Any) -> None:
    fake, _ = ncmec
    rid = prepare_and_approve(world, as_user)
    fake.fail("/upload", times=3, http_status=500)  # more than the client's 2 retries
    [result] = hotline.process_queue(world.db, config, client_factory=client_factory)
    assert result["status"] == "failed"
    assert "HTTP 500" in result["last_error"] and "after 3 attempts" in result["last_error"]
    assert "retracted" in result["last_error"]
    assert fake.paths() == ["/submit", "/upload", "/upload", "/upload", "/retract"]
    [opened] = fake.reports.values()
    assert opened.retracted and not opened.finished  # no half report left at the hotline
    assert result["report_id"] is None and result["params"]["retracted"] == [opened.id]

    # visible: on the case page, in the queue banner, and by the API
    cid = case_id_for(world, GROOMING)
    lee = as_user("lee")
    page = lee.get(f"/console/cases/{cid}").text
    assert "failed" in page and "HTTP 500" in page and "Retry" in page
    assert "hotline report failed" in lee.get("/console/").text.lower()
    secret, _ = create_key(world.db, "ops")
    api = TestClient(lee.app, headers={"X-API-Key": secret})
    listed = api.get("/v1/hotline-reports", params={"status": "failed"}).json()["reports"]
    assert [r["id"] for r in listed] == [rid] and "HTTP 500" in listed[0]["last_error"]

    # a person retries; this time it goes through
    r = lee.post(f"/console/hotline-reports/{rid}/retry", data={"csrf": csrf_of(page)})
    assert r.status_code in (200, 303)
    [again] = hotline.process_queue(world.db, config, client_factory=client_factory)
    assert again["status"] == "submitted" and again["attempts"] == 2 and again["last_error"] == ""
    assert fake.reports[again["report_id"]].finished


def test_a_validation_error_from_the_hotline_is_not_retried(world: Any, as_user: Any, ncmec: Any, config: Any,
                                                            client_factory: Any) -> None:
    fake, _ = ncmec
    prepare_and_approve(world, as_user)
    fake.fail("/submit", response_code=1003, description="incidentDateTime is in the future")
    [result] = hotline.process_queue(world.db, config, client_factory=client_factory)
    assert result["status"] == "failed"
    assert "responseCode 1003: incidentDateTime is in the future" in result["last_error"]
    assert fake.paths() == ["/submit"]  # refused documents are not sent again by themselves


def test_refused_credentials_fail_at_once(world: Any, as_user: Any, ncmec: Any, config: Any,
                                          client_factory: Any) -> None:
    fake, url = ncmec
    prepare_and_approve(world, as_user)
    wrong = ReportingConfig(base_url=url, username="esp-user", password="not it", reporter=config.reporter)
    [result] = hotline.process_queue(world.db, wrong, client_factory=client_factory)
    assert result["status"] == "failed" and "HTTP 401" in result["last_error"]
    assert "credentials" in result["last_error"] and fake.paths() == ["/submit"]


def test_a_slow_answer_times_out_and_is_retried(world: Any, as_user: Any, ncmec: Any, config: Any,
                                                client_factory: Any) -> None:
    fake, _ = ncmec
    prepare_and_approve(world, as_user)
    fake.fail("/fileinfo", times=1, delay=1.5)  # the client gives up after 0.5 s and asks again
    [result] = hotline.process_queue(world.db, config, client_factory=client_factory)
    assert result["status"] == "submitted", result["last_error"]
    assert [c for p, c in fake.calls if p == "/fileinfo"] == [-1, 0, 0]  # one timed out, asked again


def test_an_invalid_report_is_never_sent(world: Any, as_user: Any, ncmec: Any, config: Any,
                                         client_factory: Any) -> None:
    fake, url = ncmec
    prepare_and_approve(world, as_user)
    anonymous = ReportingConfig(base_url=url, username="esp-user", password="esp-secret",
                                reporter=Reporter("Ada", "Admin", ""))  # the operator forgot the e-mail address
    [result] = hotline.process_queue(world.db, anonymous, client_factory=client_factory)
    assert result["status"] == "failed" and "failed validation and was not sent" in result["last_error"]
    assert "email" in result["last_error"]
    assert fake.calls == []


def test_missing_credentials_fail_loudly(world: Any, as_user: Any) -> None:
    prepare_and_approve(world, as_user)
    [result] = hotline.process_queue(world.db, ReportingConfig(reporter=Reporter("A", "B", "a@example.org")))
    assert result["status"] == "failed" and "WAAKHOND_NCMEC_USERNAME" in result["last_error"]


def test_a_second_report_waits_while_one_is_open(world: Any, as_user: Any) -> None:
    prepare_and_approve(world, as_user)
    cid = case_id_for(world, GROOMING)
    mo = as_user("mo")
    page = mo.get(f"/console/cases/{cid}").text
    r = mo.post(f"/console/cases/{cid}/action", data={"csrf": csrf_of(page), "action": "hotline_report"},
                headers={"Accept": "application/json"})
    assert r.status_code == 409 and "queued" in r.json()["error"]["message"]


@pytest.mark.parametrize("field,value", [("incident_type", "Something Else"), ("classification", "C3")])
def test_unknown_report_choices_are_refused(world: Any, as_user: Any, field: str, value: str) -> None:
    cid = case_id_for(world, GROOMING)
    mo = as_user("mo")
    page = mo.get(f"/console/cases/{cid}").text
    r = mo.post(f"/console/cases/{cid}/action", data={"csrf": csrf_of(page), "action": "hotline_report",
                                                        field: value}, headers={"Accept": "application/json"})
    assert r.status_code == 400


def test_every_built_report_validates(world: Any, config: Any) -> None:
    """The XML of every demo case is valid against the XSD (the worker refuses invalid ones)."""
    from waakhond.store.schema import CaseRow

    with world.db.reading() as s:
        ids = list(s.scalars(select(CaseRow.id)))
    assert ids
    for cid in ids:
        document, result = hotline.build(world.db, cid, config=config)
        assert result.ok, (cid, str(result))
        assert re.search(rb"<incidentType>", document)
    assert not validate(b"<report><incidentSummary/></report>").ok


def test_report_commands_send_list_retry_and_check(world: Any, as_user: Any, ncmec: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from waakhond.cli.main import app

    fake, url = ncmec
    for key, value in {"DATABASE_URL": str(world.db.engine.url), "NCMEC_URL": url, "NCMEC_USERNAME": "esp-user",
                       "NCMEC_PASSWORD": "esp-secret", "REPORTER_FIRST_NAME": "Ada", "REPORTER_LAST_NAME": "Admin",
                       "REPORTER_EMAIL": "safety@example.org"}.items():
        monkeypatch.setenv(f"WAAKHOND_{key}", value)
    runner = CliRunner()
    r = runner.invoke(app, ["report", "check"])
    assert r.exit_code == 0 and "Server is up" in r.output
    rid = prepare_and_approve(world, as_user)
    fake.fail("/finish", response_code=1200, description="report already closed")
    r = runner.invoke(app, ["report", "send"])
    assert r.exit_code == 1 and "failed" in r.output  # a failure is an error exit, for cron and CI
    r = runner.invoke(app, ["report", "list", "--status", "failed", "--json"])
    assert r.exit_code == 0 and "responseCode 1200" in r.output
    assert runner.invoke(app, ["report", "retry", str(rid)]).exit_code == 0
    assert runner.invoke(app, ["report", "retry", str(rid)]).exit_code == 1  # queued, not failed
    r = runner.invoke(app, ["report", "send", "--json"])
    assert r.exit_code == 0 and '"status": "submitted"' in r.output
    monkeypatch.setenv("WAAKHOND_NCMEC_PASSWORD", "wrong")
    r = runner.invoke(app, ["report", "check"])
    assert r.exit_code == 1 and "HTTP 401" in r.output
    monkeypatch.setenv("WAAKHOND_NCMEC_ENV", "staging")
    r = runner.invoke(app, ["report", "check"])
    assert r.exit_code == 1 and "WAAKHOND_NCMEC_ENV" in r.output


def test_chat_text_that_xml_cannot_carry_still_gives_a_valid_report(world: Any, config: Any) -> None:
    world.process([parse_event({"id": "odd-1", "kind": "message", "occurred_at": "2026-11-06T11:00:00Z",
                                "sender_id": "ghost_rider", "recipient_ids": ["lotte"], "channel": "dm",
                                "text": "bell\x07 nul\x00 <b>&amp; ]]> 💬 \ud7ff tab\tend"})])
    from waakhond.reporting.evidence import gather
    from waakhond.reporting.ncmec.xml import report_files

    cid = case_id_for(world, GROOMING)
    document, result = hotline.build(world.db, cid, {"note": "odd \x07 note ]]> 💬"}, config=config)
    assert result.ok, str(result)
    assert "odd  note ]]&gt; 💬" in document.decode()  # the control character is dropped, the rest kept
    with world.db.reading() as s:
        [chat] = [f for f in report_files(gather(s, cid), {}) if f.kind == "transcript"]
    assert "<b>&amp; ]]> 💬" in chat.content().decode("utf-8")  # the transcript keeps the text as it was


def test_production_is_chosen_only_on_purpose() -> None:
    from waakhond.reporting.config import NCMEC_ENDPOINTS, ConfigError

    assert ReportingConfig.from_env({}).base_url == NCMEC_ENDPOINTS["test"]
    assert ReportingConfig.from_env({"WAAKHOND_NCMEC_ENV": "production"}).base_url == NCMEC_ENDPOINTS["production"]
    with pytest.raises(ConfigError):
        ReportingConfig.from_env({"WAAKHOND_NCMEC_ENV": "prod"})
