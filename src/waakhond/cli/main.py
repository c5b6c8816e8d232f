"""The ``waakhond`` command line. Every command that prints results also takes ``--json``."""

from __future__ import annotations

import os
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from waakhond import __version__
from waakhond.cli import console_cmds, learn, media, reporting_cmds

app = typer.Typer(
    name="waakhond",
    help="waakhond: a self-hostable child-safety engine. Events in, explained decisions out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
apikey_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
db_app = typer.Typer(help="The store: migrations.", no_args_is_help=True)
policy_app = typer.Typer(help="Check and show policy rule files.", no_args_is_help=True)
app.add_typer(apikey_app, name="apikey")
app.add_typer(db_app, name="db")
app.add_typer(policy_app, name="policy")
app.add_typer(console_cmds.user_app, name="user")
app.add_typer(console_cmds.audit_app, name="audit")
app.add_typer(learn.exemplar_app, name="exemplar")
app.command("train")(learn.train)
app.command("evaluate")(learn.evaluate_cmd)
app.add_typer(reporting_cmds.report_app, name="report")
app.add_typer(reporting_cmds.retention_app, name="retention")
app.add_typer(reporting_cmds.dsa_app, name="dsa")
media.register(app)  # hash, match, bank (issue 4)

out = Console()
err = Console(stderr=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="print machine-readable JSON instead of a table")]
RulesOpt = Annotated[
    Path | None,
    typer.Option("--rules", envvar="WAAKHOND_RULES", help="policy rules file (default: the shipped rules)"),
]


def _print_json(value: Any) -> None:
    sys.stdout.buffer.write(orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n")
    sys.stdout.flush()


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def _engine(rules: Path | None) -> Any:
    from waakhond.pipeline import Engine
    from waakhond.policy import ActivePolicy, PolicyError
    from waakhond.store.database import Database

    try:
        policy = ActivePolicy(rules)
    except PolicyError as exc:
        raise _fail(f"the rules file is not valid:\n{exc}") from None
    return Engine(Database.connect(), policy)


@app.callback(invoke_without_command=True)
def _main(
    version: Annotated[bool, typer.Option("--version", help="print the version and exit")] = False,
) -> None:
    if version:
        out.print(f"waakhond {__version__}")
        raise typer.Exit()


# ---- serve -------------------------------------------------------------------------------------------------
@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    rules: RulesOpt = None,
    demo: Annotated[bool, typer.Option("--demo", help="load the demo world first and print a demo API key")] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "info",
) -> None:
    """Start the engine and its HTTP API (store from WAAKHOND_DATABASE_URL, default ./var/waakhond.db)."""
    import uvicorn

    from waakhond.api.app import create_app, settle_process
    from waakhond.policy import PolicyError
    from waakhond.store.checkpoint import Checkpointer

    engine = _engine(rules)
    if demo:
        _load_demo(engine, as_json=False)
        from waakhond.store.apikeys import create_key

        secret, _ = create_key(engine.db, "demo")
        out.print(f"Demo API key (shown once): [bold]{secret}[/]")
        out.print(f'  curl -H "X-API-Key: {secret}" http://{host}:{port}/v1/cases')
        console_cmds.print_demo_logins(engine, host, port)

    def _reload(*_: Any) -> None:
        try:
            engine.policy.reload()
            err.print("[green]policy reloaded[/]")
        except PolicyError as exc:
            err.print(f"[bold red]policy not reloaded; previous rules stay active:[/]\n{exc}")

    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, _reload)
    out.print(f"waakhond {__version__} on http://{host}:{port}  (API docs: /docs, store: {engine.db.dialect})")
    worker = _reporting_worker(engine)  # hotline reports, webhooks, retention purge
    checkpointer = Checkpointer(engine.db)  # SQLite: WAL checkpoints off the writer's path
    checkpointer.start()
    try:
        api = create_app(engine)
        settle_process()
        uvicorn.run(api, host=host, port=port, log_level=log_level, access_log=False)
    finally:
        checkpointer.stop()
        worker.stop()


def _reporting_worker(engine: Any) -> Any:
    from waakhond.reporting.config import ConfigError
    from waakhond.reporting.worker import BackgroundWorker

    try:
        return BackgroundWorker(engine.db).start()
    except ConfigError as exc:
        raise _fail(str(exc)) from None


# ---- demo --------------------------------------------------------------------------------------------------
def _load_demo(engine: Any, as_json: bool) -> dict[str, Any]:
    from waakhond.demo.world import demo_events, summarise

    events = demo_events()
    engine.process(events)
    summary = summarise(engine)
    if as_json:
        _print_json(summary)
    else:
        table = Table(title="demo world loaded")
        for col in ("conversation", "messages", "risk", "flagged", "tactics"):
            table.add_column(col)
        for c in summary["conversations"]:
            table.add_row(c["conversation_id"], str(c["message_count"]), f"{c['risk']:.2f}",
                          "[bold red]yes[/]" if c["alerted"] else "no", ", ".join(sorted(c["tactics"])))
        out.print(table)
        out.print(f"{summary['events']} events, {summary['open_cases']} open cases")
    return summary


@app.command()
def demo(rules: RulesOpt = None, as_json: JsonFlag = False) -> None:
    """Load the demo world (a livestream room, DMs, one grooming conversation, classmates) into the store."""
    _load_demo(_engine(rules), as_json)


# ---- api keys ----------------------------------------------------------------------------------------------
@apikey_app.command("create")
def apikey_create(
    name: Annotated[str, typer.Argument(help="what the key is for, e.g. 'chat-backend'")] = "default",
    as_json: JsonFlag = False,
) -> None:
    """Create an API key. The key is printed once; only its digest is stored."""
    from waakhond.store.apikeys import create_key
    from waakhond.store.database import Database

    secret, key = create_key(Database.connect(), name)
    if as_json:
        _print_json({"id": key.id, "name": key.name, "key": secret})
    else:
        out.print(f"API key {key.id} ({key.name}): [bold]{secret}[/]\nSend it as the X-API-Key header.")


@apikey_app.command("list")
def apikey_list(as_json: JsonFlag = False) -> None:
    """List API keys (their prefixes, never the keys)."""
    from waakhond.store.apikeys import list_keys
    from waakhond.store.database import Database

    keys = list_keys(Database.connect())
    rows: list[dict[str, Any]] = [
        {"id": k.id, "name": k.name, "prefix": k.prefix, "created_at": k.created_at.isoformat(),
         "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None}
        for k in keys
    ]
    if as_json:
        _print_json(rows)
        return
    table = Table("id", "name", "prefix", "created", "revoked")
    for r in rows:
        table.add_row(str(r["id"]), r["name"], r["prefix"] + "…", r["created_at"][:19], r["revoked_at"] or "")
    out.print(table)


@apikey_app.command("revoke")
def apikey_revoke(key_id: int, as_json: JsonFlag = False) -> None:
    """Revoke an API key by id; it stops working at once."""
    from waakhond.store.apikeys import revoke_key
    from waakhond.store.database import Database

    done = revoke_key(Database.connect(), key_id)
    if as_json:
        _print_json({"id": key_id, "revoked": done})
    elif done:
        out.print(f"API key {key_id} revoked")
    else:
        raise _fail(f"no active API key with id {key_id}")


# ---- db ----------------------------------------------------------------------------------------------------
@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the store to the current schema (serve does this on start too)."""
    from waakhond.store.database import Database, database_url

    Database.connect(migrate=False).migrate()
    out.print(f"store at {database_url().split('@')[-1]} is at the current schema")


# ---- policy ------------------------------------------------------------------------------------------------
@policy_app.command("check")
def policy_check(path: Annotated[Path, typer.Argument(exists=True, dir_okay=False)], as_json: JsonFlag = False) -> None:
    """Validate a rules file without loading it into a running engine."""
    from waakhond.policy import Policy, PolicyError

    try:
        policy = Policy.load(path)
    except PolicyError as exc:
        if as_json:
            _print_json({"valid": False, "error": str(exc)})
            raise typer.Exit(1) from None
        raise _fail(str(exc)) from None
    if as_json:
        _print_json({"valid": True, **policy.describe()})
    else:
        out.print(f"[green]valid[/]: {len(policy.rules)} rules, version {policy.version}")


@policy_app.command("show")
def policy_show(rules: RulesOpt = None, as_json: JsonFlag = False) -> None:
    """Show the rules the engine would use."""
    from waakhond.policy import Policy

    policy = Policy.load(rules)
    d = policy.describe()
    if as_json:
        _print_json(d)
        return
    table = Table("rule", "when", "then", "shadow", title=f"policy {d['version']} ({d['mode']})")
    for r in d["rules"]:
        table.add_row(r["name"], r["when"], ", ".join(r["then"]), "yes" if r["shadow"] else "")
    out.print(table)


# ---- scan --------------------------------------------------------------------------------------------------
@app.command()
def scan(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="events, one JSON object a line")],
    rules: RulesOpt = None,
    batch: Annotated[int, typer.Option(min=1, max=1000, help="events per transaction")] = 500,
    as_json: JsonFlag = False,
) -> None:
    """Run a platform's export of events through the engine, store the decisions, print a summary."""
    from waakhond.events import InvalidInput, read_jsonl

    engine = _engine(rules)
    verdicts: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    alerts: set[str] = set()
    cases: set[int] = set()
    problems: list[dict[str, Any]] = []
    pending: list[tuple[int, Any]] = []

    def flush() -> None:
        if not pending:
            return
        try:
            decisions = engine.process([e for _, e in pending])
        except InvalidInput:
            # One event in the batch conflicts: process one by one so only that one is refused.
            decisions = []
            for number, ev in pending:
                try:
                    decisions.extend(engine.process([ev]))
                except InvalidInput as exc:
                    problems.append({"line": number, "error": str(exc)})
        for d in decisions:
            verdicts[d.verdict.value] += 1
            kinds[d.kind] += 1
            if d.facts.get("conversation_alert") and d.conversation_id:
                alerts.add(d.conversation_id)
            for a in d.actions:
                if a.type.value == "queue_case" and "case_id" in a.params:
                    cases.add(int(a.params["case_id"]))
        pending.clear()

    size = path.stat().st_size
    progress = Progress(TextColumn("scanning"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err, transient=True, disable=as_json or not err.is_terminal)
    with path.open("rb") as fh, progress:
        task = progress.add_task("scan", total=size)
        for number, item in read_jsonl(iter(fh)):
            if isinstance(item, InvalidInput):
                problems.append({"line": number, "error": str(item)})
                continue
            pending.append((number, item))
            if len(pending) >= batch:
                flush()
                progress.update(task, completed=fh.tell())
        flush()
        progress.update(task, completed=size)

    summary = {
        "events": sum(kinds.values()), "by_kind": dict(kinds), "verdicts": dict(verdicts),
        "conversations_alerted": sorted(alerts), "cases": sorted(cases), "errors": problems,
    }
    if as_json:
        _print_json(summary)
    else:
        table = Table("verdict", "events", title=f"{summary['events']} events scanned from {path.name}")
        for v, n in verdicts.most_common():
            table.add_row(v, str(n))
        out.print(table)
        out.print(f"conversations alerted: {len(alerts)}, cases opened or updated: {len(cases)}")
        for p in problems[:20]:
            err.print(f"[yellow]line {p['line']}[/]: {p['error']}")
        if len(problems) > 20:
            err.print(f"… and {len(problems) - 20} more bad lines")
    if problems:
        raise typer.Exit(1)


# ---- classify ----------------------------------------------------------------------------------------------
@app.command()
def classify(
    source: Annotated[str, typer.Argument(help="JSON-lines file, or - for standard input")] = "-",
    kind: Annotated[str, typer.Option("--kind", help="message or conversation")] = "message",
    threshold: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="conversation alert threshold (default: shipped)")
    ] = None,
) -> None:
    """Classify messages or whole conversations from JSON lines; one JSON line out per line in."""
    from waakhond.cli.classify import run

    if kind not in ("message", "conversation"):
        raise _fail("--kind must be 'message' or 'conversation'", code=2)
    if source == "-":
        errors = run(kind, sys.stdin.buffer, sys.stdout.buffer, threshold)
    else:
        p = Path(source)
        if not p.is_file():
            raise _fail(f"no such file: {source}", code=2)
        with p.open("rb") as fh:
            errors = run(kind, fh, sys.stdout.buffer, threshold)
    if errors:
        err.print(f"[yellow]{errors} line(s) could not be read; see their 'error' fields[/]")
        raise typer.Exit(1)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
