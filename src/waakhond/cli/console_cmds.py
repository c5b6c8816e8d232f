"""``waakhond user …`` (people of the review console) and ``waakhond audit …`` (the hash-chained log)."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

user_app = typer.Typer(help="People of the review console: create, list, change role, disable.",
                       no_args_is_help=True)
audit_app = typer.Typer(help="The audit log: verify its hash chain, show recent entries.", no_args_is_help=True)

out = Console()
err = Console(stderr=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="print machine-readable JSON")]


def _print_json(value: Any) -> None:
    sys.stdout.buffer.write(orjson.dumps(value, option=orjson.OPT_INDENT_2) + b"\n")
    sys.stdout.flush()


def _db() -> Any:
    from waakhond.store.database import Database

    return Database.connect()


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Argument(help="lower-case letters, digits, '.', '_' or '-'")],
    role: Annotated[str, typer.Option(help="viewer, moderator, child_safety_lead or admin")] = "moderator",
    password: Annotated[str | None, typer.Option(
        envvar="WAAKHOND_NEW_PASSWORD", help="at least 12 characters (default: a generated one, printed once)")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a console user. Only a scrypt hash of the password is stored."""
    from waakhond.console import auth

    secret = password or auth.generate_password()
    try:
        user = auth.create_user(_db(), username, role, secret, created_by="cli")
    except auth.AuthError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from None
    if as_json:
        _print_json({"username": user.username, "role": user.role,
                     "password": None if password else secret})
    else:
        out.print(f"user [bold]{user.username}[/] ({user.role}) created")
        if not password:
            out.print(f"password (shown once): [bold]{secret}[/]")


@user_app.command("list")
def user_list(as_json: JsonFlag = False) -> None:
    """List console users and their roles."""
    from waakhond.console import auth

    rows = [auth.user_summary(u) for u in auth.list_users(_db())]
    if as_json:
        _print_json(rows)
        return
    table = Table("user", "role", "active", "last login", "created by")
    for r in rows:
        table.add_row(r["username"], r["role"], "yes" if r["active"] else "no", (r["last_login_at"] or "")[:19],
                      r["created_by"] or "")
    out.print(table)


@user_app.command("role")
def user_role(username: str, role: str) -> None:
    """Give a user another role."""
    from waakhond.console import auth

    try:
        auth.set_role(_db(), username, role, by="cli")
    except auth.AuthError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from None
    out.print(f"{username} is now {role}")


@user_app.command("disable")
def user_disable(username: str) -> None:
    """Disable a user; their sessions end at once."""
    from waakhond.console import auth

    try:
        auth.set_active(_db(), username, False, by="cli")
    except auth.AuthError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from None
    out.print(f"{username} disabled")


@audit_app.command("verify")
def audit_verify(
    expect_head: Annotated[str | None, typer.Option(
        help="an entry hash kept outside the store earlier; detects entries deleted from the end")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Check the whole hash chain. Exit code 1 (and every problem listed) if an entry was edited or deleted."""
    from waakhond import audit

    result = audit.verify(_db(), expect_head=expect_head)
    if as_json:
        _print_json(result.as_dict())
    elif result.ok:
        out.print(f"[green]audit log intact[/]: {result.entries} entries, head {result.head}")
    else:
        err.print(f"[bold red]audit log tampered with[/]: {len(result.problems)} problem(s) in "
                  f"{result.entries} entries")
        for p in result.problems:
            err.print(f"  entry {p.seq}: {p.message}")
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command("show")
def audit_show(
    subject: Annotated[str | None, typer.Option(help="only entries about this, e.g. case:3 or user:ana")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: JsonFlag = False,
) -> None:
    """The newest entries first."""
    from waakhond import audit

    db = _db()
    with db.reading() as s:
        rows: list[dict[str, Any]] = [
            {"seq": r.seq, "at": r.at.isoformat(), "actor": r.actor, "action": r.action, "subject": r.subject,
             "details": r.details, "hash": r.entry_hash}
            for r in audit.recent(s, subject=subject, limit=limit)
        ]
    if as_json:
        _print_json(rows)
        return
    table = Table("#", "time", "who", "what", "subject", "details")
    for r in rows:
        table.add_row(str(r["seq"]), r["at"][:19], r["actor"], r["action"], r["subject"],
                      orjson.dumps(r["details"]).decode()[:80])
    out.print(table)


def print_demo_logins(engine: Any, host: str, port: int) -> None:
    """For ``serve --demo``: a demo picture, and the demo logins printed once."""
    from waakhond.console.demo import demo_accountability, demo_logins, demo_media

    demo_media(engine)
    demo_accountability(engine)
    out.print(f"Review console: [bold]http://{host}:{port}/console/[/]")
    for username, role, password in demo_logins(engine.db):
        out.print(f"  demo login ({role}): [bold]{username}[/] / [bold]{password}[/]  (shown once)")
