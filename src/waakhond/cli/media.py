"""``waakhond hash``, ``waakhond match`` and ``waakhond bank …``: pictures, videos and hash banks from the command
line. A file is a video when it starts like a video container (MP4/MOV, WebM/MKV, AVI, MPEG-TS/PS, FLV, Ogg).

``waakhond hash --protect PHOTO…`` is how a family registers a photo without ever sending it: the hashes are
computed on their own computer and printed as JSON Lines the platform imports into a ``protected`` bank
(``waakhond bank import family-photos hashes.jsonl``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

out = Console()
err = Console(stderr=True)
bank_app = typer.Typer(help="Hash banks: create, list, enable, disable, import and export hash lists.",
                       no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="print machine-readable JSON instead of a table")]


def register(app: typer.Typer) -> None:
    """Add ``hash``, ``match`` and ``bank`` to the main command line."""
    app.command("hash")(hash_cmd)
    app.command("match")(match_cmd)
    app.add_typer(bank_app, name="bank")


def _print_json(value: Any) -> None:
    sys.stdout.buffer.write(orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n")
    sys.stdout.flush()


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def _read_file(path: Path, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise _fail(f"{path}: {size:,} bytes, more than the {max_bytes:,} a picture or video may have")
        return path.read_bytes()
    except OSError as exc:
        raise _fail(f"{path}: {exc.strerror or exc}") from None


def _hash_file(path: Path) -> Any:
    """``ImageHashes`` of a picture or ``VideoHashes`` of a video (a clear error for anything else)."""
    from waakhond.detectors.media.hashing import DEFAULT_MAX_BYTES, MediaError, hash_image
    from waakhond.detectors.media.video import DEFAULT_LIMITS, hash_video, sniff_container

    data = _read_file(path, max(DEFAULT_MAX_BYTES, DEFAULT_LIMITS.max_bytes))
    video = sniff_container(data) is not None
    try:
        return hash_video(data) if video else hash_image(data)
    except MediaError as exc:
        what = "a video" if video else "a picture"
        raise _fail(f"{path}: not {what} we can hash ({exc.reason}): {exc.message}") from None


def _is_video(h: Any) -> bool:
    return hasattr(h, "frames")


def hash_cmd(
    files: Annotated[list[Path], typer.Argument(help="pictures or videos to hash", dir_okay=False)],
    protect: Annotated[bool, typer.Option(
        "--protect", help="print JSON Lines for a protected bank (import them with `waakhond bank import`); "
                          "the photo itself never leaves this computer")] = False,
    category: Annotated[str, typer.Option(help="category written with --protect")] = "protected_photo",
    as_json: JsonFlag = False,
) -> None:
    """Hash pictures (PDQ with its quality, MD5, SHA-256) or videos (vPDQ: PDQ of a frame a second, MD5,
    SHA-256). Nothing is sent or stored."""
    from waakhond.detectors.media.video import frames_to_json

    results = []
    for f in files:
        h = _hash_file(f)
        if protect and _is_video(h):
            raise _fail(f"{f}: --protect registers photos; this is a video")
        results.append((f, h))
    if protect:
        for f, h in results:
            if not h.matchable:
                err.print(f"[yellow]warning:[/] {f}: PDQ quality {h.quality} < 50, only exact copies will match")
            line = {"pdq": h.pdq, "md5": h.md5, "sha256": h.sha256, "category": category, "source": "protect"}
            sys.stdout.write(orjson.dumps(line).decode() + "\n")
        return
    if as_json:
        _print_json([{"file": str(f), "media_type": "video", "md5": h.md5, "sha256": h.sha256,
                      "duration": h.duration, "width": h.width, "height": h.height, "vpdq": frames_to_json(h.frames)}
                     if _is_video(h) else
                     {"file": str(f), "media_type": "image", "pdq": h.pdq, "quality": h.quality,
                      "matchable": h.matchable, "md5": h.md5, "sha256": h.sha256, "width": h.width,
                      "height": h.height, "dihedral": list(h.dihedral), "trimmed": list(h.trimmed),
                      "unmarked": list(h.unmarked), "lookups": list(h.lookups)}
                     for f, h in results])
        return
    t = Table("file", "pdq", "quality", "md5", "size")
    for f, h in results:
        if _is_video(h):
            t.add_row(str(f), f"vPDQ: {len(h.frames)} frames ({len(h.lookups)} distinct, matchable)", "", h.md5,
                      f"{h.width}×{h.height}, {h.duration:g} s")
        else:
            t.add_row(str(f), h.pdq, str(h.quality) + ("" if h.matchable else " (low)"), h.md5,
                      f"{h.width}×{h.height}")
    out.print(t)


def _db() -> Any:
    from waakhond.store.database import Database

    return Database.connect()


def match_cmd(
    file: Annotated[Path, typer.Argument(help="a picture or a video", dir_okay=False)],
    roles: Annotated[str, typer.Option(help="bank roles to match: match, allow, protected")] = "match,allow,protected",
    as_json: JsonFlag = False,
) -> None:
    """Match a picture (all dihedral variants) or a video (vPDQ) against the enabled banks of the store, and
    exact copies by MD5/SHA-256."""
    from waakhond.banks.index import BankIndex
    from waakhond.banks.matcher import match_hashes

    h = _hash_file(file)
    db = _db()
    index = BankIndex.shared(db)
    video = _is_video(h)
    with db.reading() as s:
        result = match_hashes(s, index, pdq=[] if video else list(h.lookups), md5=h.md5, sha256=h.sha256,
                              quality=None if video else h.quality, video=h.frames if video else (),
                              roles=[r.strip() for r in roles.split(",") if r.strip()])
    if as_json:
        about = {"frames": len(h.frames)} if video else {"pdq": h.pdq, "quality": h.quality}
        _print_json({"file": str(file), **about, **result.as_dict()})
        return
    rows = [(m, "") for m in result.matches] + [(m, "allow-list") for m in result.allowed] + [
        (m, "suppressed") for m in result.suppressed]
    if not rows:
        out.print(f"{file}: no match" + (f" ({result.pdq_skipped})" if result.pdq_skipped else ""))
        return
    t = Table("bank", "role", "entry", "by", "distance", "category", "note")
    for m, note in rows:
        if m.hash_type == "vpdq":
            note = f"{m.compared_pct:g} % of its frames, {m.query_pct:g} % of this video's" + (note and f"; {note}")
        t.add_row(m.bank, m.role, str(m.entry_id), m.hash_type, str(m.distance), m.category,
                  note + (" quarantined" if m.quarantined else ""))
    out.print(t)


def _svc() -> Any:
    from waakhond.banks import BankService

    return BankService(_db())


def _bank_call(fn: Any, *args: Any, **kw: Any) -> Any:
    from waakhond.banks import BankError

    try:
        return fn(*args, **kw)
    except BankError as exc:
        raise _fail(str(exc)) from None


@bank_app.command("create")
def bank_create(
    name: str,
    role: Annotated[str, typer.Option(help="match (known material), allow (allow-list) or protected")] = "match",
    category: Annotated[str | None, typer.Option(help="default category of its entries")] = None,
    threshold: Annotated[int, typer.Option(help="PDQ distance threshold (images and video frames)")] = 31,
    video_compared_pct: Annotated[float, typer.Option(
        help="vPDQ: share (%) of a known video's frames an upload must match")] = 80.0,
    video_query_pct: Annotated[float, typer.Option(
        help="vPDQ: share (%) of the upload's frames that must match (0: it may hold other footage)")] = 0.0,
    description: Annotated[str, typer.Option()] = "",
    as_json: JsonFlag = False,
) -> None:
    """Create a bank."""
    b = _bank_call(_svc().create_bank, name, role=role, category=category, pdq_threshold=threshold,
                   vpdq_compared_pct=video_compared_pct, vpdq_query_pct=video_query_pct,
                   description=description, created_by="cli")
    if as_json:
        _print_json(b.as_dict())
    else:
        out.print(f"bank {b.name} (id {b.id}, role {b.role.value}, category {b.category}, threshold "
                  f"{b.pdq_threshold}) created")


@bank_app.command("list")
def bank_list(as_json: JsonFlag = False) -> None:
    """Every bank with its settings and active entries."""
    banks = _svc().list_banks()
    if as_json:
        _print_json([b.as_dict() for b in banks])
        return
    t = Table("id", "name", "role", "category", "threshold", "video %", "enabled", "entries")
    for b in banks:
        t.add_row(str(b.id), b.name, b.role.value, b.category, str(b.pdq_threshold),
                  f"{b.vpdq_compared_pct:g} / {b.vpdq_query_pct:g}", "yes" if b.enabled else "no", f"{b.entries:,}")
    out.print(t)


def _set_enabled(name: str, enabled: bool, as_json: bool) -> None:
    b = _bank_call(_svc().update_bank, name, enabled=enabled)
    if as_json:
        _print_json(b.as_dict())
    else:
        out.print(f"bank {b.name} {'enabled' if enabled else 'disabled'}")


@bank_app.command("enable")
def bank_enable(name: str, as_json: JsonFlag = False) -> None:
    """Enable a bank: its entries match again."""
    _set_enabled(name, True, as_json)


@bank_app.command("disable")
def bank_disable(name: str, as_json: JsonFlag = False) -> None:
    """Disable a bank: its entries stop matching (nothing is deleted)."""
    _set_enabled(name, False, as_json)


@bank_app.command("threshold")
def bank_threshold(
    name: str,
    value: Annotated[int | None, typer.Argument(help="PDQ distance threshold (0..63; default 31)")] = None,
    video_compared_pct: Annotated[float | None, typer.Option(
        help="vPDQ: share (%) of a known video's frames an upload must match (default 80)")] = None,
    video_query_pct: Annotated[float | None, typer.Option(
        help="vPDQ: share (%) of the upload's frames that must match (default 0)")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Set a bank's PDQ distance threshold and/or its vPDQ percentages."""
    b = _bank_call(_svc().update_bank, name, pdq_threshold=value, vpdq_compared_pct=video_compared_pct,
                   vpdq_query_pct=video_query_pct)
    if as_json:
        _print_json(b.as_dict())
    else:
        out.print(f"bank {b.name}: PDQ threshold {b.pdq_threshold}; videos match at {b.vpdq_compared_pct:g} % of "
                  f"a known video's frames and {b.vpdq_query_pct:g} % of the upload's")


@bank_app.command("entry")
def bank_entry(
    action: Annotated[str, typer.Argument(help="show, disable, enable, tombstone or release")],
    entry_id: int,
    as_json: JsonFlag = False,
) -> None:
    """Show an entry, or disable, enable, tombstone (final) or release it from flood-control quarantine."""
    svc = _svc()
    actions = {"show": lambda: svc.get_entry(entry_id), "release": lambda: svc.release_quarantine(entry_id),
               "disable": lambda: svc.set_entry_status(entry_id, "disabled"),
               "enable": lambda: svc.set_entry_status(entry_id, "active"),
               "tombstone": lambda: svc.set_entry_status(entry_id, "tombstoned")}
    if action not in actions:
        raise _fail(f"unknown action {action!r} (show, disable, enable, tombstone, release)")
    view = _bank_call(actions[action])
    if as_json:
        _print_json(view)
    else:
        out.print(", ".join(f"{k}: {v}" for k, v in view.items() if v is not None))


@bank_app.command("import")
def bank_import(
    bank: str,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="the hash list")],
    fmt: Annotated[str | None, typer.Option("--format", help="txt, csv, json or jsonl (default: guessed)")] = None,
    hash_type: Annotated[str | None, typer.Option("--type", help="for lists without a type: pdq, md5, sha256")] = None,
    source: Annotated[str | None, typer.Option(help="source list name for rows without one")] = None,
    update_index: Annotated[bool, typer.Option(
        "--index/--no-index", help="bring the saved index snapshot up to date afterwards")] = True,
    as_json: JsonFlag = False,
) -> None:
    """Import a hash list, all or nothing: a list with a bad row is refused whole (every problem is shown
    with its line). Importing the same list again changes nothing."""
    from waakhond.banks import ImportRejected, import_file

    db = _db()
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=as_json, disable=as_json) as progress:
        task = progress.add_task(f"checking {file.name}", total=None)

        def step(done: int, total: int) -> None:
            progress.update(task, description=f"importing {file.name}", completed=done, total=total)

        try:
            with file.open("rb") as f:
                result = import_file(db, bank, f, fmt=fmt, filename=file.name, hash_type=hash_type, source=source,
                                     added_by="cli", progress=step)
        except ImportRejected as exc:
            raise _fail(str(exc)) from None
        except OSError as exc:
            raise _fail(f"{file}: {exc.strerror or exc}") from None
        except Exception as exc:
            from waakhond.banks import BankError

            if isinstance(exc, BankError):
                raise _fail(str(exc)) from None
            raise
    snapshot = None
    if update_index:
        from waakhond.banks.index import BankIndex, default_snapshot_dir

        directory = default_snapshot_dir(db)
        if directory is not None and (directory / "state.json").exists():
            snapshot = BankIndex(db, directory).load().as_dict()
    if as_json:
        _print_json({**result.as_dict(), "index": snapshot})
        return
    out.print(f"{result.rows:,} rows: {result.created:,} new entries, {result.existing:,} already in bank "
              f"{result.bank}" + (f"; ignored columns: {', '.join(result.ignored_columns)}" if result.ignored_columns
                                  else ""))


@bank_app.command("export")
def bank_export(
    bank: str,
    fmt: Annotated[str, typer.Option("--format", help="csv, jsonl, json or txt")] = "csv",
    hash_type: Annotated[str | None, typer.Option("--type", help="txt only: one hash type")] = None,
    include_inactive: Annotated[bool, typer.Option("--all", help="disabled and tombstoned entries too")] = False,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="file to write (default: stdout)")] = None,
) -> None:
    """Export a bank's entries in a format `bank import` reads back."""
    from waakhond.banks import HashError, export_lines, export_rows

    db = _db()
    _bank_call(_svc().get_bank, bank)
    try:
        pieces = export_lines(export_rows(db, bank, include_inactive=include_inactive), fmt, hash_type=hash_type)
        if output is None:
            for piece in pieces:
                sys.stdout.write(piece)
        else:
            with output.open("w", encoding="utf-8") as f:
                for piece in pieces:
                    f.write(piece)
    except HashError as exc:
        raise _fail(str(exc)) from None
    except Exception as exc:
        from waakhond.banks import BankError

        if isinstance(exc, BankError):
            raise _fail(str(exc)) from None
        raise


@bank_app.command("index")
def bank_index(as_json: JsonFlag = False) -> None:
    """Load (or build) the in-memory PDQ index and save its snapshot, so the engine starts fast."""
    from waakhond.banks.index import BankIndex, default_snapshot_dir

    db = _db()
    directory = default_snapshot_dir(db)
    idx = BankIndex(db, directory)
    report = idx.load()
    if directory is not None and not report.snapshot_written:
        idx.save_snapshot(directory)
    stats = idx.stats()
    if as_json:
        _print_json(stats)
        return
    where = directory or "none (set WAAKHOND_MEDIA_INDEX_DIR)"
    out.print(f"{stats['entries']:,} PDQ entries in {len(stats['banks'])} banks, {stats['nbytes'] / 2**20:,.0f} MiB; "
              f"loaded from {report.source} in {report.seconds:.2f} s; snapshot: {where}")
