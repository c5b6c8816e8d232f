"""The pipeline, in one direction: events → detectors → memory → policy → actions.

    >>> engine = Engine(Database.connect("sqlite://"))
    >>> [d] = engine.process([parse_event({...})])          # doctest: +SKIP
    >>> d.verdict, d.explanation                             # doctest: +SKIP

``process`` takes a batch and handles it in one transaction: every event is stored with its decision, or,
if anything fails, nothing is. The same event id sent again returns the stored decision (idempotency);
the same id with different content is refused.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from hashlib import sha256
from typing import Any

import orjson
from sqlalchemy import Connection

from waakhond import metrics
from waakhond.actions import Action, ActionType, Decision, RuleHit, verdict_of
from waakhond.actions.model import PRIORITY_RANK
from waakhond.detectors import DetectionContext, Detector, Signal
from waakhond.detectors.accountability import ModeratorAccountabilityDetector
from waakhond.detectors.behaviour import BehaviourDetector
from waakhond.detectors.conversation import ConversationState, alert_threshold, update_conversation
from waakhond.detectors.livestream import LivestreamDetector
from waakhond.detectors.media.known import KnownMediaDetector, PhotoReuseDetector
from waakhond.detectors.text.labels import TACTICS
from waakhond.detectors.text.learned.model import TextModel
from waakhond.detectors.text.learned.tier import GROOMING_LANGUAGE
from waakhond.detectors.text.learned.tier import active as active_text_model
from waakhond.detectors.text.tactics import TacticDetector, TacticHit, stated_ages
from waakhond.events import Event, GiftEvent, InvalidInput, MessageEvent, Problem, ReportEvent
from waakhond.memory.accountability import moderation_facts
from waakhond.memory.behaviour import BehaviourMemory
from waakhond.memory.keys import actor_of, conversation_of
from waakhond.memory.rows import CHUNK, InQuery
from waakhond.memory.state import Memory
from waakhond.policy import ActivePolicy, Policy
from waakhond.store.database import Database
from waakhond.store.schema import DecisionRow, EventRow, utcnow


class EventConflict(InvalidInput):
    """An event id that was already used for an event with other content."""

    def __init__(self, event_id: str, index: int | None) -> None:
        super().__init__(
            [Problem("id already used for a different event; event ids must be unique", index, event_id, "id")],
            status=409,
        )


def default_detectors() -> list[Detector]:
    """The detectors the engine runs, in order. Later ones see earlier signals in ``context.signals``."""
    return [TacticDetector(), BehaviourDetector(), LivestreamDetector(), ModeratorAccountabilityDetector(),
            KnownMediaDetector(), PhotoReuseDetector()]


def event_digest(payload: Mapping[str, Any]) -> str:
    """Digest of an event's JSON form (``event.model_dump(mode="json")``): the same event, the same digest."""
    return sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True)
class _Batch:
    """What the events of one batch share: memory, the digests of already stored events, the decisions made
    so far (event id → digest, decision) and what each detector prepared for the batch (by ``id``)."""

    memory: Memory
    known: Mapping[str, str]
    fresh: dict[str, tuple[str, dict[str, Any]]]
    prepared: dict[int, Any]
    #: the learned text model for this batch (``None`` when switched off) and its conversation threshold
    learned: TextModel | None
    threshold: float
    tally: metrics.Tally


@dataclass(frozen=True)
class _Conversation:
    risk: float
    fired: bool
    alerted: bool
    signal: Signal | None
    groomer: str | None


class Engine:
    """Runs events through the pipeline against one store and one (reloadable) policy."""

    def __init__(
        self,
        db: Database,
        policy: ActivePolicy | Policy | None = None,
        detectors: Sequence[Detector] | None = None,
    ) -> None:
        self.db = db
        if isinstance(policy, ActivePolicy):
            self.policy = policy
        else:
            self.policy = ActivePolicy.of(policy or Policy.load())
        self.detectors = list(detectors) if detectors is not None else default_detectors()
        # One writer at a time: SQLite allows no more, and conversation state must be updated in event order.
        self._lock = threading.Lock()

    # ---- public --------------------------------------------------------------------------------------------
    def process(self, events: Sequence[Event]) -> list[Decision]:
        started = time.perf_counter()
        with self._lock, self.db.writing() as (conn, session):
            memory = Memory(session, conn)
            self.db.begin_writing(conn)
            memory.prefetch_batch(events)
            BehaviourMemory.prefetch_batch(memory, events)
            known = _stored_digests(memory.conn, [e.id for e in events])
            new = [e for e in events if e.id not in known]
            learned = active_text_model()
            batch = _Batch(memory, known, {}, {id(d): d.prepare(new) for d in self.detectors
                                                 if hasattr(d, "prepare")},
                           learned, alert_threshold(learned), metrics.Tally())
            decisions = [self._process_one(batch, event, i if len(events) > 1 else None)
                         for i, event in enumerate(events)]
            memory.flush()
        batch.tally.commit()
        metrics.BATCH_SECONDS.observe(time.perf_counter() - started)
        return decisions

    def process_groups(self, groups: Sequence[Sequence[Event]]) -> list[list[Decision] | Exception]:
        """Process several independent batches (e.g. concurrent API requests) in one transaction when all
        succeed; if that fails, each batch is retried alone, so one bad batch never fails another."""
        if len(groups) > 1:
            try:
                flat = self.process([e for g in groups for e in g])
            except Exception:
                pass
            else:
                out: list[list[Decision] | Exception] = []
                i = 0
                for g in groups:
                    out.append(flat[i : i + len(g)])
                    i += len(g)
                return out
        results: list[list[Decision] | Exception] = []
        for g in groups:
            try:
                results.append(self.process(g))
            except Exception as exc:
                results.append(exc)
        return results

    def decision(self, event_id: str) -> Decision | None:
        with self.db.reading() as session:
            row = session.get(DecisionRow, event_id)
            return Decision.from_dict(row.body) if row else None

    # ---- one event -----------------------------------------------------------------------------------------
    def _process_one(self, batch: _Batch, event: Event, index: int | None) -> Decision:
        memory, known, fresh = batch.memory, batch.known, batch.fresh
        payload = event.model_dump(mode="json")
        digest = event_digest(payload)
        if event.id in fresh:  # the same id twice in one batch
            if fresh[event.id][0] != digest:
                raise EventConflict(event.id, index)
            batch.tally.inc(metrics.DUPLICATES)
            return Decision.from_dict(fresh[event.id][1])
        if event.id in known:
            if known[event.id] != digest:
                raise EventConflict(event.id, index)
            batch.tally.inc(metrics.DUPLICATES)
            stored = memory.session.get(DecisionRow, event.id)
            assert stored is not None  # an event is never stored without its decision
            return Decision.from_dict(stored.body)

        conversation_id = conversation_of(event)
        conversation = memory.conversation(conversation_id) if conversation_id else None
        facts = memory.facts_for(event, conversation)
        facts.update(moderation_facts(memory, event))  # watching the watchers (issue 5)

        # detectors: read the event and a snapshot of memory, emit signals
        signals: list[Signal] = []
        behaviour = BehaviourMemory(memory)
        snapshot = behaviour.snapshot(event, facts)
        for detector in self.detectors:
            if event.kind in detector.reads:
                context = DetectionContext(facts, conversation.state if conversation else None, tuple(signals),
                                           snapshot, memory.session, batch.prepared.get(id(detector)))
                signals.extend(detector.detect(event, context))

        # memory: conversation state and account/relation facts
        conv = self._update_conversation(batch, event, conversation_id, signals, facts)
        if conv is not None:
            facts.update(conversation_risk=round(conv.risk, 4), conversation_alert=conv.fired,
                         conversation_alerted=conv.alerted)
            if conv.signal is not None:
                signals.append(conv.signal)
        memory.record(event, facts)
        behaviour.record(memory, event, facts, signals)
        actor = actor_of(event)
        if actor and conv is not None and conv.groomer == actor and conv.risk > 0:
            memory.raise_risk(actor, conv.risk, event.occurred_at, event.id)

        # policy → actions
        policy = self.policy.current
        result = policy.evaluate(signals, facts)
        explanation = result.explanation if result.hits else _quiet_explanation(signals)
        chosen, repeated = self._once_per_conversation(memory, conversation_id, result.actions)
        if repeated:
            explanation += f" (nudge {', '.join(repeated)} already shown in this conversation)"
        actions = self._apply(batch, event, chosen, conversation_id, result.explanation)
        decision = Decision(
            event_id=event.id,
            kind=event.kind,
            verdict=verdict_of(actions),
            actions=tuple(actions),
            signals=tuple(signals),
            rules=tuple(result.hits),
            explanation=explanation,
            facts=facts,
            conversation_id=conversation_id,
            policy_version=policy.version,
        )
        now = utcnow()
        body = decision.as_dict()
        memory.append_event(
            {"id": event.id, "kind": event.kind, "occurred_at": event.occurred_at, "received_at": now,
             "actor_id": actor, "conversation_id": conversation_id, "digest": digest,
             "payload": payload},
            {"event_id": event.id, "verdict": decision.verdict.value, "conversation_id": conversation_id,
             "actor_id": actor, "policy_version": policy.version, "created_at": now, "body": body},
        )
        fresh[event.id] = (digest, body)
        _count(decision, batch.tally)
        # Answer with exactly what is stored, so a replay of the same event gives an identical decision.
        return Decision.from_dict(body)

    def _update_conversation(
        self, batch: _Batch, event: Event, conversation_id: str | None, signals: list[Signal],
        facts: dict[str, Any],
    ) -> _Conversation | None:
        if conversation_id is None or not isinstance(event, (MessageEvent, GiftEvent)):
            return None
        memory = batch.memory
        text = event.text if isinstance(event, MessageEvent) else (event.note or "")
        sender = actor_of(event)
        row = memory.conversation_row(conversation_id, conversation_id.split(":", 1)[0], event.occurred_at)
        state = ConversationState.from_dict(row.state) if row.state else ConversationState()
        hits = {s.name: TacticHit(s.name, s.score, s.spans, s.explanation) for s in signals if s.name in TACTICS}
        learned = batch.learned
        groom = next((float(s.related["logit"]) for s in signals if s.name == GROOMING_LANGUAGE), None)
        new, fired = update_conversation(
            state, hits=hits, index=row.message_count, at=event.occurred_at, sender=sender, facts=facts,
            event_id=event.id, stated_ages=stated_ages(text) if text else (), text=text or None,
            groom=groom, combiner=learned.conversation if learned is not None else None,
            threshold=batch.threshold,
        )
        row.state = new.to_dict()
        row.risk = float(new.risk)
        row.message_count += 1
        row.last_at = _later(row.last_at, event.occurred_at)
        if sender and sender not in row.participants:
            row.participants = [*row.participants, sender][:50]
        if fired:
            row.alerted = True
            row.alert_event_id = event.id
            batch.tally.inc(metrics.ALERTS)
        groomer = _groomer(new)
        signal = None
        if new.risk >= 0.05:
            lines = ", ".join(
                f"#{e['index']} ({'/'.join(e.get('tactics', []))})" for e in new.evidence[:5]
            )
            signal = Signal(
                "conversation_risk",
                min(1.0, max(0.0, float(new.risk))),
                f"conversation risk {new.risk:.2f}" + (" — alert fired at this message" if fired else "")
                + (f"; driven by messages {lines}" if lines else ""),
                related={"conversation_id": conversation_id, "alert_event_id": row.alert_event_id,
                         "groomer": groomer, "evidence": list(new.evidence[:10])},
                detector="conversation",
            )
        return _Conversation(float(new.risk), fired, bool(new.alerted), signal, groomer)

    @staticmethod
    def _once_per_conversation(
        memory: Memory, conversation_id: str | None, actions: Sequence[Action],
    ) -> tuple[list[Action], list[str]]:
        """Drop a nudge the child has already seen in this conversation: a safety message repeated on every
        line stops being read."""
        row = memory.conversation(conversation_id) if conversation_id else None
        if row is None:
            return list(actions), []
        kept: list[Action] = []
        repeated: list[str] = []
        for action in actions:
            if action.type is ActionType.nudge_recipient:
                topic = str(action.params.get("topic", "default"))
                if topic in row.nudged:
                    repeated.append(topic)
                    continue
                row.nudged = [*row.nudged, topic]
            kept.append(action)
        return kept, repeated

    def _apply(
        self, batch: _Batch, event: Event, actions: Sequence[Action], conversation_id: str | None, reason: str,
    ) -> list[Action]:
        """Carry out the actions that change state in the engine; delivery actions are for the platform."""
        memory = batch.memory
        actor = actor_of(event)
        out: list[Action] = []
        for action in actions:
            if action.type is ActionType.queue_case:
                case_id = self._queue_case(batch, event, actor, conversation_id, action, reason)
                action = Action(action.type, {**action.params, "case_id": case_id}, action.rule)
            elif action.type is ActionType.suspend_pending_review and actor:
                memory.suspend(actor, event.occurred_at)
            elif action.type is ActionType.restrict_contact and actor:
                acc = memory.account(actor)
                if acc is not None:
                    hours = float(action.params.get("hours", 24))
                    until = event.occurred_at + timedelta(hours=hours)
                    acc.profile = {**(acc.profile or {}), "restricted_until": until.isoformat()}
                    action = Action(action.type, {**action.params, "until": until.isoformat()}, action.rule)
            out.append(action)
        return out

    def _queue_case(
        self, batch: _Batch, event: Event, actor: str | None, conversation_id: str | None, action: Action,
        reason: str,
    ) -> int:
        priority = str(action.params.get("priority", "normal"))
        if isinstance(event, ReportEvent) and event.subject_account_id:
            actor = event.subject_account_id  # a report's case is about the reported account, not the reporter
        subject = f"conversation:{conversation_id}" if conversation_id else f"account:{actor or event.id}"
        memory = batch.memory
        case = memory.open_case(subject)
        now = event.occurred_at
        if case is None:
            case = memory.new_case(
                subject_key=subject, priority=priority, priority_rank=PRIORITY_RANK[priority], account_id=actor,
                conversation_id=conversation_id, reason=reason, event_ids=[event.id], created_at=now, updated_at=now,
            )
            batch.tally.inc(metrics.CASES, priority)
        else:
            if PRIORITY_RANK[priority] < case.priority_rank:
                case.priority, case.priority_rank, case.reason = priority, PRIORITY_RANK[priority], reason
            if event.id not in case.event_ids:
                case.event_ids = [*case.event_ids, event.id][-500:]
            case.updated_at = _later(case.updated_at, now) or now
        return int(case.id)


_DIGESTS = InQuery([EventRow.id, EventRow.digest], [EventRow.id])


def _stored_digests(conn: Connection, ids: list[str]) -> dict[str, str]:
    """Digests of the events of a batch that are already stored (one query per CHUNK ids)."""
    out: dict[str, str] = {}
    for i in range(0, len(ids), CHUNK):
        out.update(_DIGESTS.execute(conn, ids[i : i + CHUNK]))
    return out


def _groomer(state: ConversationState) -> str | None:
    """The sender with the most tactic evidence in the conversation (role awareness)."""
    best, best_n = None, 0
    for sender, counts in (state.sender_tactics or {}).items():
        n = sum(counts.values())
        if n > best_n:
            best, best_n = sender, n
    return best


def _later(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b > a else a


def _quiet_explanation(signals: Sequence[Signal]) -> str:
    if not signals:
        return "nothing found; allowed"
    top = sorted(signals, key=lambda s: -s.score)[:3]
    return "no rule fired; signals: " + ", ".join(f"{s.name} {s.score:.2f}" for s in top)


def _count(decision: Decision, tally: metrics.Tally) -> None:
    tally.inc(metrics.EVENTS, decision.kind)
    tally.inc(metrics.DECISIONS, decision.verdict.value)
    for s in decision.signals:
        tally.inc(metrics.SIGNALS, s.name)
    for hit in decision.rules:
        tally.inc(metrics.RULE_HITS, hit.rule, "shadow" if hit.shadow else "enforce")


__all__ = ["Engine", "EventConflict", "RuleHit", "default_detectors", "event_digest"]
