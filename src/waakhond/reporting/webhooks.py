"""Action webhooks: every decision that asks the platform to act is POSTed, signed, to the operator's URLs.

The API path never waits for a receiver. Decisions are already stored in order (the ``decisions`` table is the
log); a background worker reads it from a per-endpoint cursor into the outbox table (``webhook_deliveries``,
one row per endpoint and decision) and delivers due rows with retries and exponential backoff. A receiver that
is slow or down delays only its own deliveries.

Configuration: ``WAAKHOND_WEBHOOK_URLS`` (comma separated) and ``WAAKHOND_WEBHOOK_SECRET`` (at least 16
characters, shared with the receivers). Each request carries::

    X-Waakhond-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>
    X-Waakhond-Delivery: <delivery id>   (the same on every retry: receivers de-duplicate on it)
    X-Waakhond-Event: decision

:func:`verify_signature` is the check a receiver makes (also with a bound on the timestamp's age).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from waakhond.reporting.config import ConfigError
from waakhond.store.database import Database
from waakhond.store.schema import DecisionRow, WebhookCursorRow, WebhookDeliveryRow, utcnow

SIGNATURE_HEADER = "X-Waakhond-Signature"
MAX_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True)
class Endpoint:
    url: str

    @property
    def key(self) -> str:
        return hashlib.sha256(self.url.encode()).hexdigest()


@dataclass(frozen=True)
class WebhookConfig:
    endpoints: tuple[Endpoint, ...] = ()
    secret: str = ""
    timeout: float = 5.0
    max_attempts: int = 10
    backoff: float = 5.0  # seconds before the first retry; doubled each time, at most an hour

    @classmethod
    def from_env(cls) -> WebhookConfig:
        urls = [u.strip() for u in os.environ.get("WAAKHOND_WEBHOOK_URLS", "").split(",") if u.strip()]
        secret = os.environ.get("WAAKHOND_WEBHOOK_SECRET", "")
        return cls.of(urls, secret)

    @classmethod
    def of(cls, urls: list[str], secret: str, **kw: Any) -> WebhookConfig:
        for u in urls:
            if not u.startswith(("http://", "https://")):
                raise ConfigError(f"WAAKHOND_WEBHOOK_URLS: {u!r} is not an http(s) URL")
        if urls and len(secret) < 16:
            raise ConfigError("WAAKHOND_WEBHOOK_SECRET must be set (at least 16 characters) when webhooks are")
        return cls(tuple(Endpoint(u) for u in urls), secret, **kw)


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify_signature(secret: str, header: str, body: bytes, *, tolerance: int = 300) -> bool:
    """Check a signature header against the raw body, refusing timestamps older than ``tolerance`` seconds."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        t = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs(time.time() - t) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, body, t), f"t={t},v1={parts.get('v1', '')}")


def wants_action(body: dict[str, Any]) -> bool:
    """A decision other than "allow": a delivery verdict, or any action (case, restriction, suspension …)."""
    return body.get("verdict", "allow") != "allow" or any(a.get("type") != "allow" for a in body.get("actions", []))


def payload(row: DecisionRow) -> dict[str, Any]:
    body = row.body or {}
    return {"type": "decision", "event_id": row.event_id, "kind": body.get("kind"), "verdict": row.verdict,
            "actions": body.get("actions", []), "explanation": body.get("explanation", ""),
            "account_id": row.actor_id, "conversation_id": row.conversation_id,
            "policy_version": row.policy_version, "decided_at": row.created_at.isoformat(),
            "signals": [{"name": s.get("name"), "score": s.get("score")} for s in body.get("signals", [])]}


class Outbox:
    def __init__(self, db: Database, config: WebhookConfig, *, transport: httpx.BaseTransport | None = None) -> None:
        self.db, self.config = db, config
        self._http = httpx.Client(timeout=config.timeout, transport=transport,
                                  headers={"User-Agent": "waakhond-webhooks", "Content-Type": "application/json"})

    def close(self) -> None:
        self._http.close()

    # ---- decisions → outbox --------------------------------------------------------------------------------
    def fill(self, limit: int = 1_000) -> int:
        """Copy new action decisions into the outbox; returns how many rows were added."""
        added = 0
        for ep in self.config.endpoints:
            with self.db.transaction() as s:
                added += self._fill_one(s, ep, limit)
        return added

    def _fill_one(self, s: Session, ep: Endpoint, limit: int) -> int:
        cursor = s.get(WebhookCursorRow, ep.key)
        if cursor is None:  # a new endpoint starts with the decisions made from now on, not the whole history
            s.add(WebhookCursorRow(endpoint=ep.key, created_at=utcnow(), event_id=""))
            return 0
        # The engine writes decisions one batch at a time, in created_at order, so a cursor never skips one.
        rows = list(s.scalars(select(DecisionRow).where(
            tuple_(DecisionRow.created_at, DecisionRow.event_id) > tuple_(cursor.created_at, cursor.event_id))
            .order_by(DecisionRow.created_at, DecisionRow.event_id).limit(limit)))
        if not rows:
            return 0
        wanted = [r for r in rows if wants_action(r.body or {})]
        known = set(s.scalars(select(WebhookDeliveryRow.event_id).where(
            WebhookDeliveryRow.endpoint == ep.key,
            WebhookDeliveryRow.event_id.in_([r.event_id for r in wanted])))) if wanted else set()
        now = utcnow()
        for r in wanted:
            if r.event_id not in known:
                s.add(WebhookDeliveryRow(endpoint=ep.key, event_id=r.event_id, payload=payload(r), status="pending",
                                         attempts=0, next_attempt_at=now, last_error="", created_at=now))
        cursor.created_at, cursor.event_id = rows[-1].created_at, rows[-1].event_id
        return len([r for r in wanted if r.event_id not in known])

    # ---- outbox → receivers --------------------------------------------------------------------------------
    def deliver_due(self, limit: int = 100) -> list[dict[str, Any]]:
        urls = {ep.key: ep.url for ep in self.config.endpoints}
        with self.db.reading() as s:
            due = list(s.scalars(select(WebhookDeliveryRow).where(
                WebhookDeliveryRow.status == "pending", WebhookDeliveryRow.next_attempt_at <= utcnow(),
                WebhookDeliveryRow.endpoint.in_(list(urls))).order_by(WebhookDeliveryRow.id).limit(limit)))
        results = []
        for d in due:
            body = orjson.dumps({**d.payload, "delivery_id": d.id})
            error = ""
            try:
                r = self._http.post(urls[d.endpoint], content=body, headers={
                    SIGNATURE_HEADER: sign(self.config.secret, body), "X-Waakhond-Delivery": str(d.id),
                    "X-Waakhond-Event": "decision"})
                if not 200 <= r.status_code < 300:
                    error = f"HTTP {r.status_code}: {r.text[:200]}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            results.append(self._record(d.id, error))
        return results

    def _record(self, delivery_id: int, error: str) -> dict[str, Any]:
        with self.db.transaction() as s:
            d = s.get(WebhookDeliveryRow, delivery_id)
            assert d is not None
            d.attempts += 1
            now = utcnow()
            if not error:
                d.status, d.delivered_at, d.last_error = "delivered", now, ""
            else:
                d.last_error = error
                if d.attempts >= self.config.max_attempts:
                    d.status = "failed"
                else:
                    wait = timedelta(seconds=self.config.backoff * 2 ** (d.attempts - 1))
                    d.next_attempt_at = now + min(wait, MAX_BACKOFF)
            return {"id": d.id, "event_id": d.event_id, "status": d.status, "attempts": d.attempts,
                    "error": d.last_error}

    def run_once(self) -> tuple[int, list[dict[str, Any]]]:
        return self.fill(), self.deliver_due()
