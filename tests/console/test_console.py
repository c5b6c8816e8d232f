"""The review console over HTTP: login, roles on the server, CSRF, the queue, a case in context, actions,
media reveal, four-eyes approvals and the audit trail they leave."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.console.conftest import PASSWORD, case_id_for, csrf_of, login

from waakhond import audit
from waakhond.store.schema import AccountRow, ApprovalRow, AuditEntryRow, CaseRow

GROOMING = "dm:ghost_rider:lotte"


def _actions(db: Any, action: str) -> list[AuditEntryRow]:
    with db.reading() as s:
        return list(s.scalars(select(AuditEntryRow).where(AuditEntryRow.action == action)).all())


def _post(client: TestClient, url: str, page: str, **data: str) -> Any:
    html = client.get(page).text
    return client.post(url, data={"csrf": csrf_of(html), **data}, follow_redirects=False)


# ---- login and sessions ------------------------------------------------------------------------------------
def test_root_redirects_to_the_console_and_the_console_to_login(app: Any) -> None:
    with TestClient(app) as c:
        r = c.get("/", follow_redirects=False)
        assert r.status_code == 307 and r.headers["location"] == "/console/"
        r = c.get("/console/cases/1", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/console/login?next=/console/cases/1")


def test_login_sets_a_hardened_cookie_and_a_wrong_password_is_refused(app: Any) -> None:
    with TestClient(app) as c:
        r = login(c, "mo", "not the password")
        assert r.status_code == 401 and "wrong user name or password" in r.text
        r = login(c, "nobody", PASSWORD)
        assert r.status_code == 401 and "wrong user name or password" in r.text  # same answer: no user probing
        r = login(c, "mo")
        assert r.status_code == 303
        cookie = r.headers["set-cookie"].lower()
        assert "wh_session=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
        assert "path=/console" in cookie
        assert c.get("/console/").status_code == 200


def test_login_needs_the_form_token(app: Any) -> None:
    with TestClient(app) as c:
        r = c.post("/console/login", data={"username": "mo", "password": PASSWORD, "csrf": "forged"},
                   follow_redirects=False)
        assert r.status_code == 403


def test_logins_are_rate_limited_per_user(app: Any) -> None:
    with TestClient(app) as c:
        for _ in range(5):
            assert login(c, "lee", "wrong password!").status_code == 401
        r = login(c, "lee")  # even the right password is refused while locked out
        assert r.status_code == 429 and "too many failed logins" in r.text
        assert login(c, "mo").status_code == 303  # other people are not locked out


def test_logout_ends_the_session_on_the_server(as_user: Any, world: Any) -> None:
    c = as_user("mo")
    token = c.cookies.get("wh_session")
    assert _post(c, "/console/logout", "/console/").status_code == 303
    fresh = TestClient(c.app)
    fresh.cookies.set("wh_session", token, path="/console")
    assert fresh.get("/console/", follow_redirects=False).status_code == 303  # the old token is dead


def test_open_redirect_after_login_is_refused(app: Any) -> None:
    with TestClient(app) as c:
        page = c.get("/console/login?next=https://evil.example/")
        r = c.post("/console/login", data={"username": "mo", "password": PASSWORD, "csrf": csrf_of(page.text),
                                           "next": "https://evil.example/"}, follow_redirects=False)
        assert r.headers["location"] == "/console/"


# ---- the queue ---------------------------------------------------------------------------------------------
def test_queue_is_ordered_by_urgency_then_age(as_user: Any, world: Any) -> None:
    html = as_user("vera").get("/console/").text
    prios = re.findall(r'class="prio prio-(\w+)"', html)
    assert prios == sorted(prios, key=["urgent", "high", "normal", "low"].index)
    assert prios[0] == "urgent" and "normal" in prios
    assert "3 open" in html


def test_queue_pages_with_a_keyset_cursor(as_user: Any, world: Any) -> None:
    from datetime import UTC, datetime, timedelta

    with world.db.transaction() as s:
        t = datetime(2026, 1, 1, tzinfo=UTC)
        for i in range(120):
            s.add(CaseRow(subject_key=f"account:bulk{i}", status="open", priority="low", priority_rank=3,
                          account_id=f"bulk{i}", reason="bulk", event_ids=[], created_at=t + timedelta(minutes=i),
                          updated_at=t))
    c = as_user("vera")
    seen: list[str] = []
    url = "/console/"
    while url:
        html = c.get(url).text
        seen += re.findall(r'<a href="/console/cases/(\d+)"', html)
        m = re.search(r'rel="next" href="([^"]+)"', html)
        url = m.group(1).replace("&amp;", "&") if m else ""
    assert len(seen) == len(set(seen)) == 123  # every open case exactly once


def test_empty_queue_says_so(as_user: Any, world: Any) -> None:
    with world.db.transaction() as s:
        for c in s.scalars(select(CaseRow)).all():
            c.status = "closed"
    html = as_user("vera").get("/console/").text
    assert "The queue is empty" in html


# ---- a case ------------------------------------------------------------------------------------------------
def test_case_page_shows_the_conversation_with_the_risky_lines_explained(as_user: Any, world: Any) -> None:
    cid = case_id_for(world, GROOMING)
    r = as_user("vera").get(f"/console/cases/{cid}")
    assert r.status_code == 200
    html = r.text
    assert '<mark class="t-age_probe" title="age probe">how old are you</mark>' in html
    assert "t-secrecy" in html and "keep our chats just between us" in html
    assert "did you finish the math homework" not in html  # another conversation
    assert "<svg class=\"risk-chart\"" in html  # the account's risk over time
    assert "hidden-media" in html and 'data-media="pic-1"' in html  # blurred by default
    assert "Your role (viewer) can read cases but not act" in html
    assert r.headers["content-security-policy"].startswith("default-src 'self'")
    assert any(e.subject == f"case:{cid}" and e.actor == "vera" for e in _actions(world.db, "case.view"))


def test_a_report_case_is_about_the_reported_account(as_user: Any, world: Any) -> None:
    with world.db.reading() as s:
        cid = s.scalar(select(CaseRow.id).where(CaseRow.subject_key == "account:bigfan99"))
    c = as_user("mo")
    row = c.get("/console/").text.split(f'data-href="/console/cases/{cid}"')[1].split("</tr>")[0]
    assert "bigfan99" in row and "reported by fan_jo" in row
    html = c.get(f"/console/cases/{cid}").text
    assert 'aria-label="account bigfan99"' in html
    assert '<option value="bigfan99" selected>' in html


def test_message_text_is_escaped(as_user: Any, world: Any) -> None:
    from waakhond.events import parse_event

    world.process([parse_event({"id": "x1", "kind": "message", "occurred_at": "2026-11-05T10:00:00+00:00",
                                "sender_id": "ghost_rider", "recipient_ids": ["lotte"], "channel": "dm",
                                "text": "<script>alert(1)</script> how old are you"})])
    html = as_user("mo").get(f"/console/cases/{case_id_for(world, GROOMING)}").text
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_unknown_case_is_a_clear_404(as_user: Any) -> None:
    r = as_user("mo").get("/console/cases/999999")
    assert r.status_code == 404 and "there is no case 999999" in r.text


# ---- roles and CSRF on the server --------------------------------------------------------------------------
def test_a_viewer_cannot_act_even_by_posting_directly(as_user: Any, world: Any) -> None:
    cid = case_id_for(world, GROOMING)
    c = as_user("vera")
    r = _post(c, f"/console/cases/{cid}/action", f"/console/cases/{cid}", action="dismiss")
    assert r.status_code == 403 and "may not" in r.text
    r = _post(c, f"/console/cases/{cid}/media/pic-1/reveal", f"/console/cases/{cid}")
    assert r.status_code == 403
    assert c.get("/console/audit").status_code == 403
    assert c.get("/console/users").status_code == 403
    with world.db.reading() as s:
        assert s.get(CaseRow, cid).status == "open"


def test_state_changes_need_the_csrf_token(as_user: Any, world: Any) -> None:
    cid = case_id_for(world, GROOMING)
    c = as_user("mo")
    r = c.post(f"/console/cases/{cid}/action", data={"action": "dismiss"}, follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text
    r = c.post(f"/console/cases/{cid}/action", data={"action": "dismiss", "csrf": "guess"}, follow_redirects=False)
    assert r.status_code == 403
    page = c.get(f"/console/cases/{cid}").text
    r = c.post(f"/console/cases/{cid}/action", data={"action": "dismiss", "csrf": csrf_of(page)},
               headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert r.status_code == 403  # right token, wrong origin
    with world.db.reading() as s:
        assert s.get(CaseRow, cid).status == "open"


# ---- actions -----------------------------------------------------------------------------------------------
def test_moderator_restricts_and_the_case_closes_with_an_audit_entry(as_user: Any, world: Any) -> None:
    cid = case_id_for(world, GROOMING)
    c = as_user("mo")
    r = _post(c, f"/console/cases/{cid}/action", f"/console/cases/{cid}", action="restrict_contact",
              account_id="ghost_rider", hours="48", note="adult stranger asking a child for pictures", close="1")
    assert r.status_code == 303
    page = c.get(r.headers["location"]).text
    assert "restrict contact: done for ghost_rider" in page and "case " in page
    with world.db.reading() as s:
        assert s.get(CaseRow, cid).status == "closed"
        assert "restricted_until" in s.get(AccountRow, "ghost_rider").profile
    [entry] = _actions(world.db, "case.restrict_contact")
    assert entry.actor == "mo" and entry.details["account"] == "ghost_rider" and entry.details["hours"] == 48
    assert audit.verify(world.db).ok


def test_notes_are_kept_on_the_case(as_user: Any, world: Any) -> None:
    cid = case_id_for(world, GROOMING)
    c = as_user("mo")
    _post(c, f"/console/cases/{cid}/action", f"/console/cases/{cid}", action="note", note="checked the profile")
    assert "checked the profile" in c.get(f"/console/cases/{cid}").text
    r = _post(c, f"/console/cases/{cid}/action", f"/console/cases/{cid}", action="note", note="  ")
    assert r.status_code == 400 and "empty" in r.text


# ---- media -------------------------------------------------------------------------------------------------
def test_media_is_served_only_after_an_audited_reveal(as_user: Any, world: Any, media_dir: Any) -> None:
    cid = case_id_for(world, GROOMING)
    c = as_user("mo")
    original = (media_dir / "pic-1.png").read_bytes()
    preview = c.get("/console/media/pic-1/preview")
    assert preview.status_code == 200 and preview.content != original and len(preview.content) < len(original)
    assert c.get("/console/media/pic-1").status_code == 403  # not revealed yet
    page = c.get(f"/console/cases/{cid}").text
    r = c.post(f"/console/cases/{cid}/media/pic-1/reveal",
               headers={"X-CSRF-Token": csrf_of(page), "Accept": "application/json"})
    assert r.status_code == 200
    full = c.get(r.json()["url"])
    assert full.status_code == 200 and full.content == original
    [entry] = _actions(world.db, "media.reveal")
    assert entry.actor == "mo" and entry.subject == "media:pic-1" and entry.details["case"] == cid
    other = as_user("mina")  # another moderator has not revealed it
    assert other.get("/console/media/pic-1").status_code == 403


def test_media_ids_cannot_escape_the_media_folder(as_user: Any, media_dir: Any) -> None:
    from waakhond.console.media import MediaLibrary

    (media_dir.parent / "secret.png").write_bytes(b"not for reviewers")
    c = as_user("mo")
    assert c.get("/console/media/..%2Fsecret").status_code in (403, 404)
    lib = MediaLibrary(media_dir)
    assert lib.find("../secret") is None and lib.find(".hidden") is None and lib.find("pic-1") is not None
    assert lib.preview("../secret")[1] == "image/svg+xml"


# ---- four eyes ---------------------------------------------------------------------------------------------
def _make_reporter(world: Any) -> None:
    """fan_jo reported abuse (a grooming report) in the demo world; make the report recent."""
    from waakhond.events import parse_event
    from waakhond.store.schema import utcnow

    world.process([parse_event({"id": "rep-now", "kind": "report", "occurred_at": utcnow().isoformat(),
                                "reporter_id": "fan_jo", "subject_account_id": "bigfan99",
                                "category": "grooming"})])


def test_suspending_a_recent_reporter_needs_a_second_person(as_user: Any, world: Any) -> None:
    _make_reporter(world)
    cid = case_id_for(world, "livestream:karaoke-mia")
    mo = as_user("mo")
    r = _post(mo, f"/console/cases/{cid}/action", f"/console/cases/{cid}", action="suspend", account_id="fan_jo",
              close="1")
    assert "needs a second person" in mo.get(r.headers["location"]).text
    with world.db.reading() as s:
        assert not s.get(AccountRow, "fan_jo").suspended
        appr = s.scalars(select(ApprovalRow)).one()
    assert appr.kind == "suspend" and appr.status == "pending" and "reported abuse" in appr.params["protected"]

    # the requester cannot approve; a moderator may not approve at all
    r = _post(mo, f"/console/approvals/{appr.id}", "/console/approvals", decision="approve")
    assert r.status_code == 403
    lead = as_user("lee")
    r = _post(lead, f"/console/approvals/{appr.id}", "/console/approvals", decision="approve")
    assert r.status_code == 303
    with world.db.reading() as s:
        assert s.get(AccountRow, "fan_jo").suspended
        assert s.get(ApprovalRow, appr.id).decided_by == "lee"
        assert s.get(CaseRow, cid).status == "closed"
    assert [e.actor for e in _actions(world.db, "approval.approve")] == ["lee"]


def test_nobody_approves_their_own_request(as_user: Any, world: Any) -> None:
    cid = case_id_for(world, GROOMING)
    lee = as_user("lee")
    _post(lee, f"/console/cases/{cid}/action", f"/console/cases/{cid}", action="hotline_report", note="enticement")
    with world.db.reading() as s:
        appr = s.scalars(select(ApprovalRow)).one()
    r = _post(lee, f"/console/approvals/{appr.id}", "/console/approvals", decision="approve")
    assert r.status_code == 403 and "second person" in r.text
    assert _actions(world.db, "approval.self_refused")
    r = _post(as_user("lars"), f"/console/approvals/{appr.id}", "/console/approvals", decision="approve")
    assert r.status_code == 303
    with world.db.reading() as s:
        row = s.get(ApprovalRow, appr.id)
        assert row.status == "approved" and "queued for the CyberTipline" in row.outcome


def test_an_ordinary_suspension_is_immediate(as_user: Any, world: Any) -> None:
    cid = case_id_for(world, GROOMING)
    _post(as_user("mo"), f"/console/cases/{cid}/action", f"/console/cases/{cid}", action="suspend",
          account_id="ghost_rider", close="1")
    with world.db.reading() as s:
        assert s.get(AccountRow, "ghost_rider").suspended
        assert s.scalars(select(ApprovalRow)).first() is None


def test_a_policy_change_needs_approval_and_then_applies(tmp_path: Any, as_user: Any, world: Any) -> None:
    from waakhond.policy import ActivePolicy

    rules = tmp_path / "rules.yaml"
    rules.write_text(world.policy.current.source_text)
    world.policy = ActivePolicy(rules)
    before = world.policy.current.version
    new_text = world.policy.current.source_text + "\n# reviewed by the child-safety team\n"
    lee, lars = as_user("lee"), as_user("lars")
    r = _post(lee, "/console/policy", "/console/policy", rules=new_text, reason="comment only")
    assert r.status_code == 303
    assert world.policy.current.version == before  # nothing changes before approval
    with world.db.reading() as s:
        appr = s.scalars(select(ApprovalRow).where(ApprovalRow.kind == "policy_change")).one()
    _post(lars, f"/console/approvals/{appr.id}", "/console/approvals", decision="approve")
    assert rules.read_text() == new_text
    assert _actions(world.db, "policy.change")
    r = _post(lee, "/console/policy", "/console/policy", rules="rules: [this is not valid", reason="x")
    assert r.status_code == 400 and "not valid" in r.text


def test_moderators_cannot_propose_policy_changes(as_user: Any) -> None:
    r = _post(as_user("mo"), "/console/policy", "/console/policy", rules="x", reason="x")
    assert r.status_code == 403


# ---- people and audit pages --------------------------------------------------------------------------------
def test_admin_creates_a_person_and_the_password_is_shown_once(as_user: Any, world: Any) -> None:
    ada = as_user("ada")
    r = _post(ada, "/console/users", "/console/users", username="newbie", role="viewer")
    m = re.search(r'<code class="secret">([^<]+)</code>', r.text)
    assert m
    fresh = TestClient(ada.app)
    assert login(fresh, "newbie", m.group(1)).status_code == 303
    assert m.group(1) not in ada.get("/console/users").text


def test_audit_page_verifies_the_chain(as_user: Any) -> None:
    html = as_user("lee").get("/console/audit?verify=1").text
    assert "The chain is intact" in html


def test_the_review_flow_on_both_backends(any_db: Any, media_dir: Any) -> None:
    """Queue paging, the case page (JSON paths, keyset tuples), an action and a four-eyes approval, on SQLite
    and on PostgreSQL."""
    from waakhond.api.app import create_app
    from waakhond.console import auth
    from waakhond.demo.world import demo_events
    from waakhond.pipeline import Engine

    engine = Engine(any_db)
    engine.process(demo_events())
    for name, role in (("mo", "moderator"), ("lee", "child_safety_lead")):
        auth.create_user(any_db, name, role, PASSWORD)
    app = create_app(engine)
    with TestClient(app) as mo, TestClient(app) as lee:
        assert login(mo, "mo").status_code == 303 and login(lee, "lee").status_code == 303
        assert mo.get("/console/?after=" + "bogus").status_code == 200  # a bad cursor starts at the top
        cid = case_id_for(engine, GROOMING)
        page = mo.get(f"/console/cases/{cid}").text
        assert '<mark class="t-secrecy"' in page and 'href="/console/cases/' in page
        with any_db.reading() as s:
            report_case = s.scalar(select(CaseRow.id).where(CaseRow.subject_key == "account:bigfan99"))
        assert "reported by fan_jo" in mo.get("/console/").text
        assert "grooming by fan_jo" in mo.get(f"/console/cases/{report_case}").text  # reports received
        _post(mo, f"/console/cases/{cid}/action", f"/console/cases/{cid}", action="hotline_report")
        with any_db.reading() as s:
            appr = s.scalars(select(ApprovalRow)).one()
        assert _post(lee, f"/console/approvals/{appr.id}", "/console/approvals", decision="approve").status_code == 303
        assert audit.verify(any_db).ok
