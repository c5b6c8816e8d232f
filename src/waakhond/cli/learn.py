"""``waakhond train``, ``waakhond evaluate`` and ``waakhond exemplar``: the learned tier as product features."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

out = Console()
err = Console(stderr=True)

exemplar_app = typer.Typer(help="List and extend the exemplar index (example lines per tactic).",
                           no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="print machine-readable JSON instead of a table")]


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def _conversations(data: list[Path], kit: Path | None, split: str | None, seed: int) -> list[Any]:
    from waakhond.training.kit import classify_format_conversations, kit_conversations

    convs: list[Any] = []
    try:
        if kit is not None:
            convs.extend(kit_conversations(kit))
        for path in data:
            convs.extend(classify_format_conversations(path))
    except (OSError, ValueError) as exc:
        raise _fail(f"cannot read labelled conversations: {exc}") from None
    if split:
        convs = [c for c in convs if c.split_for(seed) == split]
    if not convs:
        raise _fail("no labelled conversations found")
    return convs


def train(
    out_dir: Annotated[Path, typer.Option("--out", help="directory to write the model into")],
    kit: Annotated[Path | None, typer.Option(help="the research kit directory (*.jsonl.gz records)")] = None,
    data: Annotated[list[Path] | None, typer.Option(
        "--data", help="labelled conversations in classify format with a 'label' (repeatable)")] = None,
    seed: Annotated[int, typer.Option(help="seed for splits and sampling (same seed, same model)")] = 7,
    dim: Annotated[int, typer.Option(help="embedding dimensions kept")] = 256,
    teacher_cache: Annotated[Path | None, typer.Option(
        help="cache of teacher vectors (the slow part: ~10 min on 2 cores the first time)")] = None,
    lines: Annotated[list[Path] | None, typer.Option(
        "--lines", help="extra tactic lines, JSON lines {lang, text, tactics}, added to the shipped written lines "
        "(repeatable)")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Train the learned text tier (embedding, line and tactic heads, conversation weights) and write a card."""
    from waakhond.training import written
    from waakhond.training.card import write_card
    from waakhond.training.evaluate import evaluate
    from waakhond.training.run import train_model

    try:
        written_lines = written.load() + [w for path in lines or [] for w in written.read(path)]
    except (OSError, written.WrittenLinesError) as exc:
        raise _fail(f"cannot read tactic lines: {exc}") from exc
    convs = _conversations(data or [], kit, None, seed)
    log = (lambda m: err.print(m)) if as_json else (lambda m: out.print(f"[dim]{m}[/]"))
    result = train_model(convs, out_dir, teacher_cache or out_dir / "teacher-cache.npz", seed=seed, dim=dim,
                         log=log, written=written_lines)
    rep, _ = evaluate(result["subsets"]["test"], model=result["model"], plots_dir=out_dir / "plots")
    write_card(out_dir / "MODEL_CARD.md", result["model"], rep)
    summary = {"model": str(out_dir), "threshold": result["model"].conversation["threshold"],
               "test": {k: v for k, v in rep.as_dict().items() if not k.startswith("worst")}}
    if as_json:
        sys.stdout.buffer.write(orjson.dumps(summary, option=orjson.OPT_INDENT_2) + b"\n")
    else:
        _print_report(rep)
        out.print(f"model and card written to {out_dir}")


def evaluate_cmd(
    data: Annotated[list[Path] | None, typer.Argument(
        help="labelled conversations, classify format with a 'label' (0/1)")] = None,
    kit: Annotated[Path | None, typer.Option(help="evaluate on the research kit instead")] = None,
    split: Annotated[str | None, typer.Option(help="only this split: train, calibrate or test")] = None,
    seed: Annotated[int, typer.Option(help="seed the splits were made with")] = 7,
    model: Annotated[Path | None, typer.Option(help="model directory (default: the active model)")] = None,
    rules_only: Annotated[bool, typer.Option("--rules-only", help="score with the rule tier alone")] = False,
    threshold: Annotated[float | None, typer.Option(min=0.0, max=1.0, help="alert threshold")] = None,
    plots: Annotated[Path | None, typer.Option(help="write precision-recall.png and calibration.png here")] = None,
    one_sided: Annotated[bool, typer.Option(
        "--one-sided", help="kit only: score each side alone in windows of 150 lines (offenders vs benign)")] = False,
    long: Annotated[bool, typer.Option(
        "--long", help="kit only: add long ordinary chats (the split's benign chats strung together, 8-30 each), "
        "the length trap: evidence that builds up by chance over hundreds of lines")] = False,
    long_nl_de: Annotated[bool, typer.Option(
        "--long-nl-de", help="kit only: add long ordinary Dutch and German chats (the split's benign sentences "
        "strung together, 100-400 lines each), the length trap outside English")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Precision, recall, F1, F0.5, ROC-AUC, average precision, earliness and calibration on labelled chats."""
    from waakhond.detectors.text.learned.exemplars import load
    from waakhond.detectors.text.learned.model import TextModel
    from waakhond.training.evaluate import evaluate

    if split is not None and split not in ("train", "calibrate", "test"):
        raise _fail("--split must be train, calibrate or test")
    convs = _conversations(data or [], kit, split, seed)
    if one_sided:
        from waakhond.training.kit import one_sided as one_sided_windows

        convs = one_sided_windows(convs, seed)
    if long:
        if kit is None:
            raise _fail("--long needs --kit")
        from waakhond.training.kit import long_benign

        convs = convs + [c for c in long_benign(convs, seed) if split is None or c.split == split]
    if long_nl_de:
        if kit is None:
            raise _fail("--long-nl-de needs --kit")
        from waakhond.training.kit import long_sentences

        convs = convs + [c for c in long_sentences(convs, seed) if split is None or c.split == split]
    chosen: Any = not rules_only
    if model is not None and not rules_only:
        try:
            chosen = TextModel.load(model).with_exemplars(load())
        except (OSError, ValueError, KeyError) as exc:
            raise _fail(f"cannot load model from {model}: {exc}") from None
    rep, _ = evaluate(convs, model=chosen, threshold=threshold, plots_dir=plots)
    if as_json:
        sys.stdout.buffer.write(orjson.dumps(rep.as_dict(), option=orjson.OPT_INDENT_2) + b"\n")
        return
    _print_report(rep)
    if plots:
        out.print(f"plots written to {plots}")


def _print_report(rep: Any) -> None:
    table = Table(title=f"{rep.n} conversations, {rep.positives} with grooming, threshold {rep.threshold:.3f}")
    for col in ("precision", "recall", "F1", "F0.5", "ROC-AUC", "avg precision", "median earliness", "ECE"):
        table.add_column(col, justify="right")
    fmt = lambda v: "–" if v is None else f"{v:.3f}"  # noqa: E731
    table.add_row(fmt(rep.precision), fmt(rep.recall), fmt(rep.f1), fmt(rep.f05), fmt(rep.roc_auc),
                  fmt(rep.average_precision), fmt(rep.earliness_median), fmt(rep.ece))
    out.print(table)
    sources = Table(title="flagged, per source")
    for col in ("source", "conversations", "flagged"):
        sources.add_column(col, justify="right" if col != "source" else "left")
    for src, row in rep.by_source.items():
        sources.add_row(src, f"{int(row['n']):,}", f"{row['flagged']:.1%}")
    out.print(sources)
    worst = Table(title="worst errors")
    for col in ("kind", "id", "source", "risk", "length", "alert at"):
        worst.add_column(col)
    for kind, rows in (("false positive", rep.worst_false_positives), ("missed", rep.worst_false_negatives)):
        for r in rows[:5]:
            worst.add_row(kind, r["id"], r["source"], f"{r['risk']:.3f}", str(r["length"]), str(r["alert_at"]))
    out.print(worst)


@exemplar_app.command("add")
def exemplar_add(
    tactic: Annotated[str, typer.Argument(help="tactic label, or 'ordinary' with --negative")],
    text: Annotated[str, typer.Argument(help="the example line (from a reviewed case)")],
    negative: Annotated[bool, typer.Option("--negative", help="a line that is NOT this tactic")] = False,
    file: Annotated[Path | None, typer.Option(
        "--file", envvar="WAAKHOND_EXEMPLARS", help="operator exemplar file (YAML)")] = None,
) -> None:
    """Add an example line to the operator's exemplar file; the engine uses it after a restart."""
    from waakhond.detectors.text.learned.exemplars import ExemplarError, add

    if file is None:
        raise _fail("give --file or set WAAKHOND_EXEMPLARS to the operator exemplar file")
    try:
        add(file, tactic, text, negative=negative)
    except ExemplarError as exc:
        raise _fail(str(exc)) from None
    out.print(f"added to {file}")


@exemplar_app.command("list")
def exemplar_list(as_json: JsonFlag = False) -> None:
    """Count the exemplars per tactic (shipped plus the operator's file)."""
    from waakhond.detectors.text.labels import LABELS
    from waakhond.detectors.text.learned.exemplars import ExemplarError, load

    try:
        ex = load()
    except ExemplarError as exc:
        raise _fail(str(exc)) from None
    counts = {t: {"positive": len(ex.positive.get(t, ())), "negative": len(ex.negative.get(t, ()))} for t in LABELS}
    if as_json:
        sys.stdout.buffer.write(orjson.dumps({"tactics": counts, "ordinary": len(ex.ordinary)}) + b"\n")
        return
    table = Table(title="exemplars")
    for col in ("tactic", "positive", "negative"):
        table.add_column(col)
    for t, c in counts.items():
        table.add_row(t, str(c["positive"]), str(c["negative"]))
    table.add_row("ordinary", "", str(len(ex.ordinary)))
    out.print(table)
