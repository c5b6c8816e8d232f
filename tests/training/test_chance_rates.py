"""Chance rates: the evidence an ordinary line adds per tactic, measured at training time."""

from __future__ import annotations

from waakhond.detectors.text.tactics import Span, TacticHit
from waakhond.training.train import chance_rates


def test_chance_rates_average_the_evidence_as_the_conversation_counts_it() -> None:
    rule = TacticHit("age_probe", 0.8, (Span(0, 3, "how"),), "age probe")
    learned = TacticHit("secrecy", 0.6, (), "learned tier")
    lines = [{"age_probe": rule}, {"secrecy": learned}, {}, {}]
    rates = chance_rates(lines, learned_hit_weight=0.5, margin=2.0)
    assert rates["age_probe"] == 2.0 * 0.8 / 4
    assert rates["secrecy"] == 2.0 * 0.6 * 0.5 / 4
    assert rates["meeting"] == 0.0  # every tactic has a rate, so a model never falls back for some
    assert chance_rates([]) == {}  # nothing measured: the engine's default applies


def test_groom_chance_is_the_mean_excess_over_the_floor() -> None:
    import numpy as np

    from waakhond.training.train import GROOM_CHANCE_MARGIN, groom_chance

    assert groom_chance(np.array([0.0, 1.0, 3.0, 2.0]), floor=1.5, margin=1.0) == (1.5 + 0.5) / 4
    assert groom_chance(np.array([]), floor=1.5) == 0.0
    assert groom_chance(np.array([3.0]), floor=1.0) == 2.0 * GROOM_CHANCE_MARGIN


def test_learned_mass_counts_only_above_its_chance_rate() -> None:
    """A sender whose grooming-line mass is what their number of lines gathers by chance has no learned evidence;
    above it, the excess counts."""
    from waakhond.detectors.conversation import ConversationState, learned_features

    state = ConversationState(groom_mass={"a": 2.0}, lines={"a": 100.0})
    assert learned_features(state, "a", groom_chance=0.0)[0] > 0
    assert learned_features(state, "a", groom_chance=0.02) == (0.0, 0.0)
    some, _ = learned_features(state, "a", groom_chance=0.01)
    assert 0 < some < learned_features(state, "a", groom_chance=0.0)[0]
