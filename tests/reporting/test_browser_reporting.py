"""In real headless Chromium: a failed hotline report is impossible to miss, and a second person retries it."""

from __future__ import annotations

from typing import Any

from tests.console.conftest import case_id_for
from tests.console.test_browser import _login, _shot, pytestmark  # noqa: F401  (skipped without chromium)
from tests.reporting.test_ncmec import GROOMING, prepare_and_approve

from waakhond.reporting import hotline


def test_failed_report_banner_error_and_retry(server: str, browser: Any, world: Any, as_user: Any, ncmec: Any,
                                              config: Any, client_factory: Any) -> None:
    fake, _ = ncmec
    prepare_and_approve(world, as_user)
    fake.fail("/submit", response_code=1003, description="incidentDateTime is in the future")
    [failed] = hotline.process_queue(world.db, config, client_factory=client_factory)
    assert failed["status"] == "failed"

    page = _login(browser, server, "lars")
    banner = page.locator(".failed-reports")
    assert banner.is_visible() and "1 hotline report failed" in banner.inner_text()
    page.goto(f"{server}/console/cases/{case_id_for(world, GROOMING)}")
    card = page.locator("section.hotline")
    assert "responseCode 1003: incidentDateTime is in the future" in card.inner_text()
    _shot(page, "hotline-report-failed")
    card.locator("button", has_text="Retry").click()
    page.wait_for_load_state()
    assert "queued again" in page.locator(".flash").last.inner_text()
    [sent] = hotline.process_queue(world.db, config, client_factory=client_factory)
    page.reload()
    assert sent["report_id"] in page.locator("section.hotline").inner_text()
    assert page.locator(".failed-reports").count() == 0
    _shot(page, "hotline-report-submitted")
