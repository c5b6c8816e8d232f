"""Chance rates: the evidence an ordinary line adds per tactic, measured at training time."""

from __future__ import annotations

import numpy as np

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


def test_language_weights_lift_each_other_language_to_its_share_of_english() -> None:
    from waakhond.training.train import language_weights

    langs = np.array(["en"] * 900 + ["nl"] * 30 + ["de"] * 300 + ["fr"] * 10)
    w = language_weights(langs, share=0.2)
    assert np.all(w[langs == "en"] == 1.0)
    assert np.isclose(w[langs == "nl"].sum(), 0.2 * 900)  # 30 lines weigh like 180
    assert np.isclose(w[langs == "fr"].sum(), 0.2 * 900)
    assert np.all(w[langs == "de"] == 1.0)  # 300 lines already weigh more than their share
    assert np.all(language_weights(np.array(["en"] * 5)) == 1.0)
    # an operator's own conversations without a language are not lifted as if they were one small language
    assert np.all(language_weights(np.array(["en"] * 900 + [""] * 10)) == 1.0)


def test_written_weights_balance_ordinary_and_tactic_lines_within_each_language() -> None:
    from waakhond.training.train import written_weights
    from waakhond.training.written import WrittenLine

    lines = ([WrittenLine("fr", f"tactic {i}", ("age_probe",)) for i in range(30)]
             + [WrittenLine("fr", f"ordinary {i}", ()) for i in range(10)]
             + [WrittenLine("en", f"tactic {i}", ("secrecy",)) for i in range(5)]
             + [WrittenLine("en", f"ordinary {i}", ()) for i in range(20)])
    w = written_weights(lines, weight=2.0)
    fr_pos, fr_ord = w[:30], w[30:40]
    assert np.isclose(fr_ord.sum(), fr_pos.sum())  # French is no longer three quarters positives
    assert np.all(fr_pos == 2.0)
    # a language whose ordinary lines already outweigh its tactic lines keeps the plain weights
    assert np.all(w[40:] == 2.0)


def test_precision_threshold_is_the_lowest_that_keeps_precision_but_never_below_the_rule_tiers() -> None:
    from waakhond.detectors.conversation import ALERT_THRESHOLD
    from waakhond.training.train import precision_threshold

    y = np.array([1, 1, 1, 0, 1, 1, 0, 0, 0, 0], dtype=float)
    p = np.array([0.99, 0.98, 0.95, 0.93, 0.9, 0.85, 0.8, 0.4, 0.3, 0.2])
    # at 0.93 and up precision is 3/4, so for 0.95 the threshold stays at 0.95 (1.0 there and above) ...
    assert abs(precision_threshold(p, y) - 0.95) < 1e-5
    # ... and for 0.7 it goes down to 0.8 (5/7), where every higher threshold keeps 0.7 too; at 0.4 it is 5/8
    assert abs(precision_threshold(p, y, target=0.7) - 0.8) < 1e-5
    # every ordinary chat scores low: precision holds all the way down, the threshold stops at the rule tier's
    easy = np.array([0.9, 0.8, 0.55, 0.1, 0.05]), np.array([1, 1, 1, 0, 0], dtype=float)
    assert precision_threshold(*easy) == ALERT_THRESHOLD
    assert precision_threshold(np.array([0.9, 0.8]), np.array([0.0, 0.0])) == 0.99  # never precise: alert never
