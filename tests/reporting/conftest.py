"""Reporting fixtures: the console's demo world and people, a fake CyberTipline on a loopback port, and a
reporting configuration that points at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from tests.console.conftest import app, as_user, media_dir, world  # noqa: F401  (fixtures reused here)
from tests.console.test_browser import browser, server  # noqa: F401  (fixtures reused here)
from tests.reporting.fake_ncmec import FakeCyberTipline
from tests.reporting.servers import serving

from waakhond.reporting.config import Reporter, ReportingConfig
from waakhond.reporting.ncmec.client import CyberTiplineClient


@pytest.fixture
def ncmec() -> Iterator[tuple[FakeCyberTipline, str]]:
    fake = FakeCyberTipline()
    with serving(fake.app) as url:
        yield fake, url


@pytest.fixture
def config(ncmec: tuple[FakeCyberTipline, str]) -> ReportingConfig:
    return ReportingConfig(environment="test", base_url=ncmec[1], username="esp-user", password="esp-secret",
                           esp_name="Karaoke Kids", reporter=Reporter("Ada", "Admin", "safety@example.org"),
                           tos_url="https://example.org/terms")


@pytest.fixture
def client_factory() -> Callable[[ReportingConfig], CyberTiplineClient]:
    """Quick time-outs and backoff, so retry tests take milliseconds."""
    return lambda cfg: CyberTiplineClient(cfg, timeout=0.5, retries=2, backoff=0.01)
