"""The detector interface and the values detectors emit.

Which one to start with? Write a class with ``name``, ``reads`` (the event kinds it looks at) and
``detect(event, context)`` that returns signals; give it ``examples()`` so tests and docs can show it working.
Detectors never write anything: memory updates and actions happen in later stages of the pipeline.

    >>> from waakhond.detectors.base import Signal, Span
    >>> s = Signal("age_probe", 0.9, "asks the recipient's age", spans=(Span(0, 12, "how old r u"),))
    >>> s.name, s.score
    ('age_probe', 0.9)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

from waakhond.events import Event


@dataclass(frozen=True, slots=True)
class Span:
    """Evidence inside a text: characters ``start:end`` of the original (not normalised) text."""

    start: int
    end: int
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True, slots=True)
class Signal:
    """One finding of one detector about one event.

    ``name`` is stable public vocabulary (a tactic label such as ``age_probe``, or ``conversation_risk``,
    ``known_media`` …). ``score`` is in [0, 1]. ``explanation`` is one line a moderator can read.
    ``related`` names other entities the finding links (accounts, events, hashes).
    """

    name: str
    score: float
    explanation: str
    spans: tuple[Span, ...] = ()
    related: Mapping[str, Any] = field(default_factory=dict)
    detector: str = ""

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"signal score must be in [0, 1], got {self.score}")

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "score": round(self.score, 4),
            "explanation": self.explanation,
            "detector": self.detector,
        }
        if self.spans:
            out["spans"] = [s.as_dict() for s in self.spans]
        if self.related:
            out["related"] = dict(self.related)
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Signal:
        return cls(
            name=d["name"],
            score=float(d["score"]),
            explanation=d.get("explanation", ""),
            spans=tuple(Span(s["start"], s["end"], s["text"]) for s in d.get("spans", ())),
            related=dict(d.get("related", {})),
            detector=d.get("detector", ""),
        )


@dataclass(frozen=True)
class DetectionContext:
    """What a detector may know beyond the event: a read-only snapshot of memory.

    ``facts`` holds account and relation facts (see :mod:`waakhond.memory.facts` for the names);
    ``conversation`` the stored conversation state, when the event belongs to one; ``signals`` what the
    detectors that ran before this one found in the same event (detectors run in registration order);
    ``memory`` the behaviour snapshot of the accounts and room involved (see :mod:`waakhond.memory.behaviour`);
    ``store`` the pipeline's database session (``None`` outside the engine), for detectors that look things up
    in the store (hash banks); rows they add belong to the event's transaction; ``prepared`` what this
    detector's optional ``prepare(events)`` returned for the whole batch (``None`` when it has none).
    """

    facts: Mapping[str, Any] = field(default_factory=dict)
    conversation: Mapping[str, Any] | None = None
    signals: tuple[Signal, ...] = ()
    memory: Mapping[str, Any] = field(default_factory=dict)
    store: Any = None
    prepared: Any = None


@runtime_checkable
class Detector(Protocol):
    """A small, independent unit that reads events and emits signals.

    A detector may also have ``prepare(events) -> Any``, called once per batch before any ``detect``, for
    work that is cheaper done for many events at once (the tactic detector scores all texts in one call); what
    it returns comes back in ``context.prepared``. It must not depend on memory: only on the events."""

    name: ClassVar[str]
    reads: ClassVar[frozenset[str]]

    def detect(self, event: Event, context: DetectionContext) -> Sequence[Signal]:
        """Return the signals this event raises (empty when nothing is found)."""
        ...
