"""``waakhond report …`` (hotline reports and case exports), ``waakhond retention …`` (purge and legal holds)
and ``waakhond dsa …`` (statements of reasons)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.table import Table

from waakhond.cli.console_cmds import JsonFlag, _db, _print_json, err, out

report_app = typer.Typer(help="Hotline reports: export a case, list, send and retry CyberTipline reports.",
                         no_args_is_help=True)
retention_app = typer.Typer(help="Evidence retention: purge what the policy lets go; legal holds.",
                            no_args_is_help=True)
dsa_app = typer.Typer(help="DSA statements of reasons.", no_args_is_help=True)



def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(1)


def _write(body: bytes, output: Path | None) -> None:
    if output is None:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
    else:
        output.write_bytes(body)
        err.print(f"wrote {output} ({len(body)} bytes)")


# ---- report ------------------------------------------------------------------------------------------------
@report_app.command("export")
def report_export(
    case_id: Annotated[int, typer.Argument(help="the case to export")],
    fmt: Annotated[str, typer.Option("--format", help="ncmec-xml, eu-json or eu-html")] = "eu-json",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="file to write (default: stdout)")] = None,
) -> None:
    """Export a case as CyberTipline XML, EU hotline JSON or a readable HTML summary (audited)."""
    from waakhond import audit
    from waakhond.reporting.config import ConfigError
    from waakhond.reporting.evidence import EvidenceError
    from waakhond.reporting.exports import FORMATS, export

    if fmt not in FORMATS:
        raise _fail(f"--format must be one of {', '.join(FORMATS)}")
    db = _db()
    try:
        body, _, validation = export(db, case_id, fmt)
    except (EvidenceError, ConfigError) as exc:
        raise _fail(str(exc)) from None
    with audit.audited_transaction(db) as s:
        audit.record(s, actor="cli", action="case.export", subject=f"case:{case_id}", details={"format": fmt})
    _write(body, output)
    if fmt == "ncmec-xml" and validation != "valid":
        err.print(f"[bold yellow]warning:[/] this report would not be sent: it fails validation: {validation}")


@report_app.command("list")
def report_list(
    status: Annotated[str | None, typer.Option(help="queued, submitting, submitted or failed")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Hotline reports, newest first, with the error of failed ones."""
    from waakhond.reporting import hotline

    with _db().reading() as s:
        rows = [hotline.as_dict(r) for r in hotline.list_reports(s, status=status)]
    if as_json:
        _print_json(rows)
        return
    table = Table("id", "case", "status", "report id", "attempts", "error")
    for r in rows:
        table.add_row(str(r["id"]), str(r["case_id"]), r["status"], r["report_id"] or "", str(r["attempts"]),
                      r["last_error"][:80])
    out.print(table)


@report_app.command("send")
def report_send(as_json: JsonFlag = False) -> None:
    """Send the queued CyberTipline reports now (``waakhond serve`` does this every few seconds)."""
    from waakhond.reporting import hotline

    results = hotline.process_queue(_db())
    if as_json:
        _print_json(results)
    for r in results if not as_json else []:
        colour = "green" if r["status"] == "submitted" else "bold red"
        out.print(f"#{r['id']} case {r['case_id']}: [{colour}]{r['status']}[/] {r['report_id'] or r['last_error']}")
    if any(r["status"] == "failed" for r in results):
        raise typer.Exit(1)


@report_app.command("retry")
def report_retry(report_row_id: int) -> None:
    """Queue a failed report again."""
    from waakhond.reporting import hotline

    try:
        row = hotline.retry(_db(), "cli", report_row_id)
    except (LookupError, ValueError) as exc:
        raise _fail(str(exc)) from None
    out.print(f"hotline report #{row.id} queued again")


@report_app.command("check")
def report_check() -> None:
    """Check the CyberTipline credentials and endpoint (``GET /status``)."""
    from waakhond.reporting.config import ConfigError, ReportingConfig
    from waakhond.reporting.ncmec.client import CyberTiplineClient, NcmecError

    try:
        config = ReportingConfig.from_env()
        with CyberTiplineClient(config, retries=1) as client:
            resp = client.status()
    except (ConfigError, NcmecError) as exc:
        raise _fail(str(exc)) from None
    out.print(f"{config.environment} endpoint {config.base_url}: {resp.description or 'ok'}")


# ---- retention ---------------------------------------------------------------------------------------------
@retention_app.command("purge")
def retention_purge(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="count what would be purged; change nothing")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Purge what the retention policy (WAAKHOND_RETENTION) lets go; never evidence of reported or held cases."""
    from waakhond.reporting.config import ConfigError
    from waakhond.reporting.retention import RetentionPolicy, purge

    try:
        policy = RetentionPolicy.from_env()
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    report = purge(_db(), policy, dry_run=dry_run, actor="cli")
    if as_json:
        _print_json({**report.as_dict(), "policy": policy.as_dict()})
        return
    table = Table("kind", "kept (days)", "would purge" if dry_run else "purged")
    for kind, days in policy.as_dict().items():
        if kind != "reported_evidence":
            table.add_row(kind, str(days), str(report.counts.get(kind, 0)))
    out.print(table)
    out.print(f"{len(report.protected_cases)} case(s) protected (open or recent hotline report, legal hold)")


@retention_app.command("hold")
def retention_hold(case_id: int, reason: Annotated[str, typer.Option(help="why (e.g. a police request)")]) -> None:
    """Put a case under legal hold: its evidence is never purged until the hold is released."""
    from waakhond.reporting.retention import place_hold

    try:
        hold = place_hold(_db(), case_id, reason, "cli")
    except LookupError as exc:
        raise _fail(str(exc)) from None
    out.print(f"legal hold #{hold['id']} on case {case_id}")


@retention_app.command("release")
def retention_release(hold_id: int) -> None:
    """Release a legal hold."""
    from waakhond.reporting.retention import release_hold

    try:
        release_hold(_db(), hold_id, "cli")
    except LookupError as exc:
        raise _fail(str(exc)) from None
    out.print(f"legal hold #{hold_id} released")


@retention_app.command("holds")
def retention_holds(as_json: JsonFlag = False) -> None:
    """Legal holds in force."""
    from waakhond.reporting.retention import holds

    with _db().reading() as s:
        rows = holds(s)
    if as_json:
        _print_json(rows)
        return
    table = Table("id", "case", "reason", "placed by", "placed at")
    for h in rows:
        table.add_row(str(h["id"]), str(h["case_id"]), h["reason"][:60], h["placed_by"], h["placed_at"][:19])
    out.print(table)


# ---- dsa ---------------------------------------------------------------------------------------------------
@dsa_app.command("export")
def dsa_export(
    since: Annotated[str | None, typer.Option(help="ISO date-time: only statements from then on")] = None,
    limit: Annotated[int, typer.Option(help="at most this many statements")] = 100_000,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="file to write (default: stdout)")] = None,
) -> None:
    """Statements of reasons as JSON lines in the shape of the EU DSA Transparency Database API."""
    from datetime import UTC, datetime

    from waakhond.reporting import dsa

    try:
        start = datetime.fromisoformat(since.replace("Z", "+00:00")) if since else None
    except ValueError:
        raise _fail(f"--since must be an ISO date-time, not {since!r}") from None
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    with _db().reading() as s:
        items = dsa.statements(s, since=start, limit=limit)
    _write(b"".join(orjson.dumps(st.transparency_db()) + b"\n" for st in items), output)
