"""End to end in real headless Chromium (Debian's ``chromium``, driven by Playwright) against a real uvicorn
server: log in, move through the queue with the keyboard, open a case, reveal media, act, and approve a
four-eyes request as a second person. Screenshots of the main screens go to ``test-artifacts/``."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.console.conftest import PASSWORD

from waakhond.store.schema import ApprovalRow, AuditEntryRow

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("WAAKHOND_REQUIRE_BROWSER"),
    reason="Debian's chromium is not installed (scripts/system-deps.sh installs it)",
)


@pytest.fixture
def server(app: Any) -> Iterator[str]:
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not srv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def _login(browser: Any, base: str, user: str) -> Any:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{base}/")
    assert "/console/login" in page.url  # / → /console/ → login
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/console/")
    return page


def _until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)


def test_review_flow_in_a_real_browser(server: str, browser: Any, world: Any) -> None:
    from playwright.sync_api import expect

    errors: list[str] = []

    # ---- a login with the wrong password shows the error -------------------------------------------------
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{server}/console/login")
    page.fill("input[name=username]", "mo")
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    assert page.locator("p.error").inner_text() == "wrong user name or password"
    _shot(page, "login-error")
    context.close()

    # ---- the moderator: queue → keyboard → case ----------------------------------------------------------
    mo = _login(browser, server, "mo")
    mo.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    mo.on("pageerror", lambda e: errors.append(str(e)))
    rows = mo.locator("table.queue tbody tr")
    assert rows.count() == 3
    assert rows.nth(0).get_attribute("class") == "selected"
    assert mo.locator(".prio").first.inner_text().lower() == "urgent"
    _shot(mo, "queue")
    mo.keyboard.press("j")
    assert rows.nth(1).get_attribute("class") == "selected"
    href = rows.nth(1).get_attribute("data-href")
    mo.keyboard.press("Enter")
    mo.wait_for_url(f"{server}{href}")
    assert "ghost_rider" in mo.locator("h2").first.inner_text() or mo.locator("text=how old are you").count()
    marks = mo.locator("mark.t-age_probe")
    assert marks.count() >= 1 and "how old are you" in marks.first.inner_text()
    assert mo.locator("svg.risk-chart path").count() == 1

    # media is blurred and greyscale until revealed
    fig = mo.locator("figure[data-media=pic-1]")
    filt = fig.locator("img").evaluate("el => getComputedStyle(el).filter")
    assert "blur" in filt and "grayscale" in filt
    _shot(mo, "case")
    fig.locator("button.reveal").click()
    # (page.wait_for_function would need 'unsafe-eval', which the console's CSP rightly forbids)
    expect(fig).to_have_class(re.compile(r"\brevealed\b"))
    _until(lambda: fig.locator("img").evaluate("el => el.complete && el.naturalWidth") == 64)
    filt = fig.locator("img").evaluate("el => getComputedStyle(el).filter")
    assert "blur" not in filt and "grayscale" in filt  # revealed, still greyscale (wellness default)
    fig.scroll_into_view_if_needed()
    _shot(mo, "case-media-revealed")

    # act: prepare a hotline report, which needs a second person
    mo.fill("#note", "adult stranger offers coins for a picture and asks to move to another app")
    mo.click("button[name=action][value=hotline_report]")
    mo.wait_for_selector(".flash")
    assert "second person approves" in mo.locator(".flash").inner_text()
    mo.goto(f"{server}/console/approvals")
    assert "A child-safety lead or admin decides this." in mo.content()

    # ---- the lead approves as the second person ---------------------------------------------------------
    lee = _login(browser, server, "lee")
    lee.click("text=Approvals")
    card = lee.locator("article.approval").first
    assert "asked by mo" in card.inner_text()
    _shot(lee, "approvals")
    card.locator("input[name=comment]").fill("checked the conversation")
    card.locator("button[value=approve]").click()
    lee.wait_for_selector(".flash")
    assert "approved" in lee.locator(".flash").inner_text()
    lee.goto(f"{server}/console/audit")
    assert lee.locator("td", has_text="approval.approve").count() == 1
    lee.click("button[name=verify]")
    assert "The chain is intact" in lee.locator("p.ok").inner_text()
    _shot(lee, "audit")

    # ---- the other main screens: a viewer's case page, policy, people, a clear error ----------------------
    vera = _login(browser, server, "vera")
    vera.goto(f"{server}{href}")
    assert "can read cases but not act" in vera.content() and vera.locator("button.reveal").count() == 0
    _shot(vera, "case-viewer")
    vera.goto(f"{server}/console/users")
    assert "Not allowed" in vera.locator("h1").inner_text()
    _shot(vera, "error-403")
    ada = _login(browser, server, "ada")
    ada.goto(f"{server}/console/policy")
    assert "Propose a change" in ada.content()
    _shot(ada, "policy")
    ada.goto(f"{server}/console/users")
    ada.fill("input[name=username]", "newcomer")
    ada.click("text=Create with a generated password")
    assert "Created newcomer" in ada.locator("p.ok").inner_text()
    _shot(ada, "people")

    with world.db.reading() as s:
        appr = s.scalars(select(ApprovalRow)).one()
        assert (appr.status, appr.requested_by, appr.decided_by) == ("approved", "mo", "lee")
        reveals = s.scalars(select(AuditEntryRow).where(AuditEntryRow.action == "media.reveal")).all()
        assert [r.actor for r in reveals] == ["mo"]
    assert errors == []  # no JavaScript or CSP errors in the console pages
