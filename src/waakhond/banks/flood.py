"""Flood control: an entry that suddenly matches far more uploads than usual is quarantined for review.

A colliding meme or logo, or a wrongly listed picture, can make one entry match thousands of ordinary
uploads in an hour; without a brake every one of them would be blocked, reported and queued as urgent.
Each entry counts its matches in fixed windows (``window``, default one hour) and keeps a *baseline*: an
exponentially weighted mean of its past windows (``alpha``), empty windows included. When the count in
the current window exceeds ``max(min_matches, factor × baseline)`` the entry is quarantined: from then
on its matches raise ``known_media_quarantined`` instead of ``known_media`` (the shipped policy holds
such media but does not block, report or open a case per upload), and one review case is opened for the
entry itself (subject ``media_entry:<id>``). A reviewer releases it (``POST
/v1/media/entries/{id}/release`` or ``waakhond bank entry release``) or tombstones it.

The counters live on the entry row and are updated in the same transaction as the decision.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from waakhond.actions.model import PRIORITY_RANK
from waakhond.store.schema import CaseRow, MediaEntryRow


@dataclass(frozen=True)
class FloodConfig:
    window: timedelta = timedelta(hours=1)
    min_matches: int = 50
    factor: float = 10.0
    alpha: float = 0.3
    enabled: bool = True

    @classmethod
    def from_env(cls) -> FloodConfig:
        """``WAAKHOND_FLOOD_MIN_MATCHES``, ``WAAKHOND_FLOOD_FACTOR``, ``WAAKHOND_FLOOD_WINDOW_MINUTES``
        (0 matches turns flood control off)."""
        d = cls()
        minimum = int(os.environ.get("WAAKHOND_FLOOD_MIN_MATCHES", d.min_matches))
        return cls(window=timedelta(minutes=float(os.environ.get("WAAKHOND_FLOOD_WINDOW_MINUTES", 60))),
                   min_matches=max(1, minimum), factor=float(os.environ.get("WAAKHOND_FLOOD_FACTOR", d.factor)),
                   enabled=minimum > 0)

    def limit(self, baseline: float) -> float:
        return max(float(self.min_matches), self.factor * baseline)


def observe(session: Session, entry: MediaEntryRow, at: datetime, event_id: str, config: FloodConfig,
            bank_name: str = "") -> bool:
    """Count one match of ``entry`` at ``at``; quarantine it (and open its review case) when the count
    jumps. Returns whether it was quarantined by this match."""
    entry.match_count = (entry.match_count or 0) + 1
    entry.last_match_at = at if entry.last_match_at is None or at > entry.last_match_at else entry.last_match_at
    start = entry.flood_window_start
    if start is None:
        entry.flood_window_start, entry.flood_window_count, entry.flood_baseline = at, 0, 0.0
    elif at >= start + config.window:
        k = int((at - start) / config.window)
        baseline = (1 - config.alpha) * (entry.flood_baseline or 0.0) + config.alpha * (entry.flood_window_count or 0)
        baseline *= (1 - config.alpha) ** (k - 1)
        entry.flood_baseline = baseline
        entry.flood_window_start = start + k * config.window
        entry.flood_window_count = 0
    entry.flood_window_count = (entry.flood_window_count or 0) + 1
    if not config.enabled or entry.quarantined_at is not None:
        return False
    if entry.flood_window_count <= config.limit(entry.flood_baseline or 0.0):
        return False
    entry.quarantined_at = at
    reason = (f"flood control: entry {entry.id} of bank {bank_name or entry.bank_id} matched "
              f"{entry.flood_window_count} uploads in {_span(config.window)} (baseline "
              f"{entry.flood_baseline:.1f} per window, limit {config.limit(entry.flood_baseline):.0f}); "
              "quarantined pending review: check whether it is a listing mistake or a colliding picture "
              "(meme, logo), then release or tombstone it")
    case = CaseRow(subject_key=f"media_entry:{entry.id}", status="open", priority="high",
                   priority_rank=PRIORITY_RANK["high"], account_id=None, conversation_id=None, reason=reason,
                   event_ids=[event_id], created_at=at, updated_at=at)
    session.add(case)
    session.flush()
    entry.quarantine_case_id = case.id
    return True


def _span(window: timedelta) -> str:
    minutes = window.total_seconds() / 60
    return f"{minutes / 60:g} h" if minutes >= 60 else f"{minutes:g} min"
