"""Text detectors: grooming tactics in one message (rule tier) and the text normalisation they read."""

from waakhond.detectors.text.labels import LABELS, TACTICS
from waakhond.detectors.text.normalize import Normalized, fold, normalize
from waakhond.detectors.text.tactics import (
    LANGUAGES,
    TACTIC_WEIGHTS,
    TacticDetector,
    TacticHit,
    classify_text,
    message_risk,
    stated_ages,
)

__all__ = [
    "LABELS",
    "LANGUAGES",
    "TACTICS",
    "TACTIC_WEIGHTS",
    "Normalized",
    "TacticDetector",
    "TacticHit",
    "classify_text",
    "fold",
    "message_risk",
    "normalize",
    "stated_ages",
]
