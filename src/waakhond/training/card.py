"""The model card ``waakhond train`` writes beside the weights: data, method, figures, limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from waakhond.detectors.text.labels import LABELS


def write_card(path: Path, model: Any, report: Any) -> None:
    meta = model.meta
    conv = model.conversation
    lines = [
        "# Model card: waakhond learned text tier",
        "",
        f"- Teacher: {meta.get('teacher')}; static embedding of {meta.get('vocabulary')} pieces, "
        f"{meta.get('dim')} dimensions.",
        f"- Seed {meta.get('seed')}; conversations per split: {meta.get('trained_on')}.",
        f"- Conversation weights: rule logit × {conv['rule']:.3f}, log(1 + grooming mass) × {conv['mass']:.3f}, "
        f"grooming rate × {conv['rate']:.3f}, bias {conv['bias']:.3f}; alert threshold {conv['threshold']:.3f} "
        "(lowest with precision ≥ 0.95 on the calibration split).",
        "- Tactic thresholds: " + ", ".join(
            f"{label} {float(th):.2f}" for label, th in zip(LABELS, model.tactic_threshold, strict=True)) + ".",
        "",
        "## Held-out test split (by conversation)",
        "",
        "| precision | recall | F1 | F0.5 | ROC-AUC | avg precision | median earliness | ECE |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {report.precision:.3f} | {report.recall:.3f} | {report.f1:.3f} | {report.f05:.3f} | "
        f"{_f(report.roc_auc)} | {_f(report.average_precision)} | {_f(report.earliness_median)} | {report.ece:.3f} |",
        "",
        "Flag rate per source: " + ", ".join(
            f"{src} {v['flagged']:.3f} (n={int(v['n'])})" for src, v in report.by_source.items()) + ".",
        "",
        "## Limits",
        "",
        "- Trained on English offender chat only; Dutch, German and French rely on the teacher's cross-lingual",
        "  alignment and on the exemplars written in those languages.",
        "- Ordinary Dutch and German come from sentences (Tatoeba, ChatterBot), not chat; the grooming-line head's",
        "  negatives weigh each language at least its share of the English ones (`train.OTHER_LANGUAGE_SHARE`).",
        "  French has no ordinary text beyond the written lines: train with your own ordinary chat before relying",
        "  on conversation alerts in French.",
        "- The kit lost turn order between offender and decoy; conversations were rebuilt by relative position.",
        "- The weights hold numbers and vocabulary pieces only; no training text.",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _f(v: float | None) -> str:
    return "–" if v is None else f"{v:.3f}"
