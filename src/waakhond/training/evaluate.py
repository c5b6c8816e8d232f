"""``waakhond evaluate``: score labelled conversations through the real scoring path and report.

Everything goes through :func:`waakhond.detectors.conversation.score_conversation`, the function behind
``waakhond classify --kind conversation``, so the figures are the product's, not a training shortcut's.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score

from waakhond.detectors.conversation import alert_threshold, score_conversation
from waakhond.training.kit import Conversation


@dataclass
class Scored:
    id: str
    label: int
    risk: float
    flagged: bool
    alert_at: int | None
    length: int
    groomer: str | None
    source: str = ""
    first_words: str = ""


@dataclass
class Report:
    threshold: float
    n: int
    positives: int
    precision: float
    recall: float
    f1: float
    f05: float
    roc_auc: float | None
    average_precision: float | None
    earliness_median: float | None
    earliness_mean: float | None
    ece: float
    calibration: list[dict[str, float]] = field(default_factory=list)
    worst_false_positives: list[dict[str, Any]] = field(default_factory=list)
    worst_false_negatives: list[dict[str, Any]] = field(default_factory=list)
    by_source: dict[str, dict[str, float]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def score_all(conversations: Iterable[Conversation], model: Any = True, threshold: float | None = None,
              ) -> list[Scored]:
    out = []
    for c in conversations:
        s = score_conversation(({"text": m["text"], "sender": m["sender"]} for m in c.messages), None,
                               threshold=threshold, model=model)
        words = " ".join(c.messages[0]["text"].split()[:6]) if c.messages else ""
        out.append(Scored(c.id, c.label, s.peak_risk, s.flagged, s.alert_at, len(c.messages), s.groomer,
                          c.source, words))
    return out


def _f(beta: float, p: float, r: float) -> float:
    return 0.0 if p + r == 0 else (1 + beta**2) * p * r / (beta**2 * p + r)


def report(scored: list[Scored], threshold: float, bins: int = 10, worst: int = 10) -> Report:
    y = np.array([s.label for s in scored], dtype=int)
    risk = np.array([s.risk for s in scored], dtype=float)
    flagged = np.array([s.flagged for s in scored], dtype=bool)
    tp = int((flagged & (y == 1)).sum())
    fp = int((flagged & (y == 0)).sum())
    fn = int((~flagged & (y == 1)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    both = 0 < y.sum() < len(y)
    early = [(s.alert_at + 1) / s.length for s in scored if s.label == 1 and s.alert_at is not None and s.length]
    edges = np.linspace(0, 1, bins + 1)
    calib, ece = [], 0.0
    for lo, hi in itertools.pairwise(edges):
        m = (risk >= lo) & ((risk < hi) if hi < 1 else (risk <= hi))
        if m.any():
            calib.append({"from": round(float(lo), 2), "to": round(float(hi), 2), "n": int(m.sum()),
                          "mean_risk": round(float(risk[m].mean()), 4), "observed": round(float(y[m].mean()), 4)})
            ece += m.sum() / len(y) * abs(risk[m].mean() - y[m].mean())
    fps = sorted((s for s in scored if s.label == 0), key=lambda s: -s.risk)[:worst]
    fns = sorted((s for s in scored if s.label == 1), key=lambda s: s.risk)[:worst]
    by_source: dict[str, dict[str, float]] = {}
    for src in sorted({s.source for s in scored}):
        part = [s for s in scored if s.source == src]
        by_source[src] = {"n": len(part), "flagged": round(sum(s.flagged for s in part) / len(part), 4)}
    return Report(
        threshold=threshold, n=len(scored), positives=int(y.sum()), precision=round(precision, 4),
        recall=round(recall, 4), f1=round(_f(1, precision, recall), 4), f05=round(_f(0.5, precision, recall), 4),
        roc_auc=round(float(roc_auc_score(y, risk)), 4) if both else None,
        average_precision=round(float(average_precision_score(y, risk)), 4) if both else None,
        earliness_median=round(float(np.median(early)), 4) if early else None,
        earliness_mean=round(float(np.mean(early)), 4) if early else None,
        ece=round(float(ece), 4), calibration=calib,
        worst_false_positives=[_row(s) for s in fps], worst_false_negatives=[_row(s) for s in fns],
        by_source=by_source,
    )


def _row(s: Scored) -> dict[str, Any]:
    return {"id": s.id, "risk": round(s.risk, 4), "flagged": s.flagged, "alert_at": s.alert_at,
            "length": s.length, "source": s.source}


def plots(scored: list[Scored], threshold: float, directory: Path) -> list[Path]:
    """Precision-recall curve and calibration (reliability) plot as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    y = np.array([s.label for s in scored], dtype=int)
    risk = np.array([s.risk for s in scored], dtype=float)
    written = []
    if 0 < y.sum() < len(y):
        prec, rec, _ = precision_recall_curve(y, risk)
        fig, ax = plt.subplots(figsize=(5, 4))
        ax.plot(rec, prec)
        flagged = risk >= threshold
        tp = (flagged & (y == 1)).sum()
        if flagged.any():
            ax.scatter([tp / y.sum()], [tp / flagged.sum()], color="red", zorder=3,
                       label=f"threshold {threshold:.2f}")
            ax.legend(loc="lower left")
        ax.set(xlabel="recall", ylabel="precision", title="Precision-recall", xlim=(0, 1.02), ylim=(0, 1.02))
        fig.tight_layout()
        path = directory / "precision-recall.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
    edges = np.linspace(0, 1, 11)
    mids, obs, counts = [], [], []
    for lo, hi in itertools.pairwise(edges):
        m = (risk >= lo) & ((risk < hi) if hi < 1 else (risk <= hi))
        if m.any():
            mids.append(risk[m].mean())
            obs.append(y[m].mean())
            counts.append(int(m.sum()))
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey")
    ax.plot(mids, obs, marker="o")
    for x_, y_, n in zip(mids, obs, counts, strict=True):
        ax.annotate(str(n), (x_, y_), fontsize=7, xytext=(3, -10), textcoords="offset points")
    ax.set(xlabel="predicted risk", ylabel="observed share of grooming", title="Calibration", xlim=(0, 1),
           ylim=(0, 1))
    fig.tight_layout()
    path = directory / "calibration.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    written.append(path)
    return written


def evaluate(conversations: Iterable[Conversation], *, model: Any = True, threshold: float | None = None,
             plots_dir: Path | None = None) -> tuple[Report, list[Scored]]:
    thr = alert_threshold(model) if threshold is None else threshold
    scored = score_all(conversations, model=model, threshold=thr)
    rep = report(scored, thr)
    if plots_dir is not None:
        plots(scored, thr, plots_dir)
    return rep, scored
