"""Operator configuration for reporting, read from the environment (so a container needs no extra file).

| variable | meaning | default |
|---|---|---|
| ``WAAKHOND_NCMEC_ENV`` | ``test`` or ``production``: which CyberTipline endpoint reports go to | ``test`` |
| ``WAAKHOND_NCMEC_URL`` | another base URL (a local fake server in tests) | the endpoint of the environment |
| ``WAAKHOND_NCMEC_USERNAME`` / ``WAAKHOND_NCMEC_PASSWORD`` | the ESP's CyberTipline credentials (basic auth) | none |
| ``WAAKHOND_ESP_NAME`` | the service name reports give as ``espService`` | ``waakhond platform`` |
| ``WAAKHOND_REPORTER_FIRST_NAME`` / ``_LAST_NAME`` / ``_EMAIL`` / ``_PHONE`` | the reporting person | empty |
| ``WAAKHOND_TOS_URL`` | the platform's terms of service (reports, statements of reasons) | empty |
| ``WAAKHOND_LEGAL_URL`` | where law enforcement sends legal process | empty |
| ``WAAKHOND_PLATFORM_COUNTRY`` | ISO country codes for the DSA territorial scope, comma separated | EU member states |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

NCMEC_ENDPOINTS: dict[str, str] = {
    "test": "https://exttest.cybertip.org/ispws",
    "production": "https://report.cybertip.org/ispws",
}

EU_MEMBER_STATES: tuple[str, ...] = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU",
    "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
)


class ConfigError(ValueError):
    """A configuration value is wrong; the message names the variable."""


@dataclass(frozen=True)
class Reporter:
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class ReportingConfig:
    environment: str = "test"
    base_url: str = NCMEC_ENDPOINTS["test"]
    username: str = ""
    password: str = field(default="", repr=False)
    esp_name: str = "waakhond platform"
    reporter: Reporter = Reporter()
    tos_url: str = ""
    legal_url: str = ""
    territorial_scope: tuple[str, ...] = EU_MEMBER_STATES

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> ReportingConfig:
        e = dict(os.environ if env is None else env)
        environment = (e.get("WAAKHOND_NCMEC_ENV") or "test").strip().lower()
        if environment not in NCMEC_ENDPOINTS:
            raise ConfigError(f"WAAKHOND_NCMEC_ENV must be 'test' or 'production', not {environment!r}")
        scope = tuple(c.strip().upper() for c in (e.get("WAAKHOND_PLATFORM_COUNTRY") or "").split(",") if c.strip())
        return cls(
            environment=environment,
            base_url=(e.get("WAAKHOND_NCMEC_URL") or NCMEC_ENDPOINTS[environment]).rstrip("/"),
            username=e.get("WAAKHOND_NCMEC_USERNAME", ""),
            password=e.get("WAAKHOND_NCMEC_PASSWORD", ""),
            esp_name=e.get("WAAKHOND_ESP_NAME") or "waakhond platform",
            reporter=Reporter(e.get("WAAKHOND_REPORTER_FIRST_NAME", ""), e.get("WAAKHOND_REPORTER_LAST_NAME", ""),
                              e.get("WAAKHOND_REPORTER_EMAIL", ""), e.get("WAAKHOND_REPORTER_PHONE", "")),
            tos_url=e.get("WAAKHOND_TOS_URL", ""),
            legal_url=e.get("WAAKHOND_LEGAL_URL", ""),
            territorial_scope=scope or EU_MEMBER_STATES,
        )
