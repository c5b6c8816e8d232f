"""The background work of ``waakhond serve``: send queued hotline reports, deliver action webhooks, and run the
retention purge on schedule. One daemon thread; each job is independent, and a job's failure is logged and
retried at its next turn, never raised into the API.

| job | every | configured by |
|---|---|---|
| webhook deliveries | 1 s | ``WAAKHOND_WEBHOOK_URLS``, ``WAAKHOND_WEBHOOK_SECRET`` |
| hotline report queue | 10 s | ``WAAKHOND_NCMEC_*`` (see :mod:`waakhond.reporting.config`) |
| retention purge | ``WAAKHOND_PURGE_EVERY_HOURS`` (24; 0 turns it off) | ``WAAKHOND_RETENTION`` |
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from waakhond.reporting import hotline, retention
from waakhond.reporting.config import ConfigError
from waakhond.reporting.webhooks import Outbox, WebhookConfig
from waakhond.store.database import Database

log = logging.getLogger("waakhond.reporting")


class BackgroundWorker:
    def __init__(self, db: Database, *, webhooks: WebhookConfig | None = None, purge_every_hours: float | None = None,
                 tick: float = 1.0) -> None:
        self.db, self.tick = db, tick
        self.webhooks = webhooks if webhooks is not None else WebhookConfig.from_env()
        hours = purge_every_hours if purge_every_hours is not None else \
            float(os.environ.get("WAAKHOND_PURGE_EVERY_HOURS", "24") or 0)
        self.jobs: list[tuple[str, float, Callable[[], object]]] = [("hotline reports", 10.0, self._reports)]
        if self.webhooks.endpoints:
            self.outbox = Outbox(db, self.webhooks)
            self.jobs.append(("webhooks", tick, self.outbox.run_once))
        if hours > 0:
            retention.RetentionPolicy.from_env()  # a bad policy is refused at start, not at 3 a.m.
            self.jobs.append(("retention purge", hours * 3600, self._purge))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="waakhond-reporting", daemon=True)

    def _reports(self) -> object:
        results = hotline.process_queue(self.db)
        for r in results:
            if r["status"] == "failed":
                log.error("hotline report #%s of case %s failed: %s", r["id"], r["case_id"], r["last_error"])
        return results

    def _purge(self) -> object:
        report = retention.purge(self.db)
        log.info("retention purge: %s", report.counts)
        return report

    def start(self) -> BackgroundWorker:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        due = {name: time.monotonic() for name, _, _ in self.jobs}
        while not self._stop.is_set():
            for name, every, job in self.jobs:
                if time.monotonic() >= due[name]:
                    try:
                        job()
                    except (ConfigError, OSError, RuntimeError, ValueError) as exc:
                        log.error("%s: %s", name, exc)
                    except Exception:  # pragma: no cover - a bug; keep the other jobs running
                        log.exception("%s failed", name)
                    due[name] = time.monotonic() + every
            self._stop.wait(self.tick)
