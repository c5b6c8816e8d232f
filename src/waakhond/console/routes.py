"""The review console's HTTP routes, served by the engine under ``/console``.

Server-rendered HTML (Jinja2), a little vanilla JavaScript for keyboard shortcuts and media reveal, no build
step and nothing loaded from elsewhere. Every route checks the session and the role on the server; every
state-changing request needs the session's CSRF token; every change and every view of sensitive material is
written to the audit log.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import func, select

from waakhond import __version__, audit
from waakhond.console import actions, auth, views
from waakhond.console.auth import ROLES, AuthError, SessionInfo, User
from waakhond.console.media import MediaLibrary
from waakhond.detectors.text.labels import TACTICS
from waakhond.store.schema import ApprovalRow, CaseRow

HERE = Path(__file__).parent
STATIC = HERE / "static"
SESSION_COOKIE = "wh_session"
LOGIN_CSRF_COOKIE = "wh_login_csrf"
FLASH_COOKIE = "wh_flash"
PREFIX = "/console"

_SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                                "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # no-referrer would make browsers send "Origin: null"
    "Cache-Control": "no-store",
}


class ConsoleError(Exception):
    """Shown to the person as an error page (or JSON for a script), with an HTTP status."""

    def __init__(self, status: int, message: str, *, login: bool = False) -> None:
        super().__init__(message)
        self.status, self.message, self.login = status, message, login


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "") or request.headers.get("x-requested-with") == \
        "fetch"


_env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True)
_env.globals.update(PREFIX=PREFIX, TACTICS=TACTICS, ROLES=ROLES, ACTIONS=actions.ACTIONS,
                    APPROVAL_KINDS=actions.APPROVAL_KINDS, version=__version__)
_env.filters["when"] = lambda d: d.strftime("%Y-%m-%d %H:%M") if d else ""
_env.filters["tactic"] = lambda t: str(t).replace("_", " ")
_env.filters["unquote"] = unquote


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    flash = request.cookies.get(FLASH_COOKIE)
    html = _env.get_template(template).render(request=request, flash=flash, **context)
    resp = HTMLResponse(html, status_code=status)
    if flash:
        resp.delete_cookie(FLASH_COOKIE, path=PREFIX)
    return resp


def _error_response(request: Request, exc: ConsoleError) -> Response:
    if exc.login and not _wants_json(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{PREFIX}/login?next={quote(target)}", status_code=303)
    if _wants_json(request):
        return JSONResponse({"error": {"status": exc.status, "message": exc.message}}, status_code=exc.status)
    session = getattr(request.state, "console_session", None)
    return render(request, "error.html", status=exc.status, message=exc.message, status_code=exc.status,
                  s=session, user=session.user if session else None)


class ConsoleRoute(APIRoute):
    """Turns console errors into error pages and adds the security headers to every console response."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def wrapped(request: Request) -> Response:
            try:
                response = await handler(request)
            except ConsoleError as exc:
                response = _error_response(request, exc)
            except (actions.ActionError, AuthError) as exc:
                status = getattr(exc, "status", 400)
                response = _error_response(request, ConsoleError(status, str(exc)))
            for k, v in _SECURITY_HEADERS.items():
                response.headers.setdefault(k, v)
            return response

        return wrapped


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or os.environ.get("WAAKHOND_CONSOLE_SECURE_COOKIE") == "1"


def _redirect(request: Request, url: str, flash: str | None = None) -> RedirectResponse:
    resp = RedirectResponse(url, status_code=303)
    if flash:
        resp.set_cookie(FLASH_COOKIE, quote(flash[:300]), path=PREFIX, httponly=True, samesite="strict",
                        secure=_secure(request), max_age=60)
    return resp


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


def console_router(engine: Any, media: MediaLibrary | None = None) -> APIRouter:
    """The console for ``engine``'s store (``/console``) and the report-outcome API for platforms
    (``/v1/reports/{id}/outcome``); add both to the engine's app with one ``app.include_router``."""
    from waakhond.console.outcomes import outcome_router

    parent = APIRouter()
    parent.include_router(pages_router(engine, media))
    parent.include_router(outcome_router(engine))
    return parent


def pages_router(engine: Any, media: MediaLibrary | None = None) -> APIRouter:
    """The console's pages under ``/console``."""
    # reporting reads the console's views and media folder, so it is imported here, not at module level
    from waakhond.reporting import exports, hotline
    from waakhond.reporting.evidence import EvidenceError
    from waakhond.reporting.ncmec.xml import CLASSIFICATIONS, INCIDENT_TYPES

    db = engine.db
    library = media or MediaLibrary()
    router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

    # ---- sessions ------------------------------------------------------------------------------------------
    async def current(request: Request, permission: str = "queue.view") -> SessionInfo:
        session = await run_in_threadpool(auth.session_for, db, request.cookies.get(SESSION_COOKIE))
        if session is None:
            raise ConsoleError(401, "please log in", login=True)
        request.state.console_session = session
        if not session.user.may(permission):
            raise ConsoleError(403, f"your role ({session.user.role.replace('_', ' ')}) may not "
                                    f"{auth.PERMISSION_WORDS[permission]}")
        return session

    async def changing(request: Request, permission: str) -> tuple[SessionInfo, dict[str, str]]:
        """A state-changing request: a live session, the role, the same origin and the CSRF token."""
        session = await current(request, "queue.view")
        form = {k: str(v) for k, v in (await request.form()).items()} \
            if "form" in request.headers.get("content-type", "") else {}
        sent = request.headers.get("x-csrf-token") or form.get("csrf")
        if not _same_origin(request) or not auth.csrf_ok(session, sent):
            raise ConsoleError(403, "this form has expired or did not come from the console (CSRF check); "
                                    "reload the page and try again")
        if not session.user.may(permission):
            raise ConsoleError(403, f"your role ({session.user.role.replace('_', ' ')}) may not "
                                    f"{auth.PERMISSION_WORDS[permission]}")
        return session, form

    def pending_count() -> tuple[int, int]:
        """Four-eyes requests waiting, and hotline reports that failed (shown on every page until retried)."""
        with db.reading() as s:
            return (int(s.scalar(select(func.count()).select_from(ApprovalRow)
                                 .where(ApprovalRow.status == "pending")) or 0), hotline.failed_count(s))

    def page(request: Request, template: str, session: SessionInfo, status: int = 200, **ctx: Any) -> HTMLResponse:
        pending, failed_reports = pending_count()
        return render(request, template, status=status, s=session, user=session.user,
                      pending=pending, failed_reports=failed_reports, **ctx)

    # ---- login ---------------------------------------------------------------------------------------------
    @router.get("/login")
    def login_form(request: Request, next: str = "") -> Response:
        token = secrets.token_urlsafe(24)
        resp = render(request, "login.html", csrf=token, next=_safe_next(next), error=None)
        resp.set_cookie(LOGIN_CSRF_COOKIE, token, path=PREFIX, httponly=True, samesite="strict",
                        secure=_secure(request), max_age=3600)
        return resp

    @router.post("/login")
    async def login_submit(request: Request) -> Response:
        form = await request.form()
        username, password = str(form.get("username", "")), str(form.get("password", ""))
        nxt = _safe_next(str(form.get("next", "")))
        cookie, sent = request.cookies.get(LOGIN_CSRF_COOKIE), str(form.get("csrf", ""))
        if not cookie or not secrets.compare_digest(cookie, sent) or not _same_origin(request):
            raise ConsoleError(403, "the login form has expired; reload the page and try again")
        client = request.client.host if request.client else "?"
        try:
            token, _ = await run_in_threadpool(auth.login, db, username, password, client)
        except AuthError as exc:
            status = 429 if "too many" in str(exc) else 401
            return render(request, "login.html", status=status, csrf=cookie, next=nxt, error=str(exc),
                          username=username)
        resp = RedirectResponse(nxt or f"{PREFIX}/", status_code=303)
        resp.set_cookie(SESSION_COOKIE, token, path=PREFIX, httponly=True, samesite="strict",
                        secure=_secure(request), max_age=int(auth.SESSION_MAX.total_seconds()))
        resp.delete_cookie(LOGIN_CSRF_COOKIE, path=PREFIX)
        return resp

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        await changing(request, "queue.view")
        await run_in_threadpool(auth.logout, db, request.cookies.get(SESSION_COOKIE))
        resp = _redirect(request, f"{PREFIX}/login", "logged out")
        resp.delete_cookie(SESSION_COOKIE, path=PREFIX)
        return resp

    # ---- queue ---------------------------------------------------------------------------------------------
    @router.get("")
    def root() -> Response:
        return RedirectResponse(f"{PREFIX}/", status_code=307)

    @router.get("/")
    async def queue(request: Request, status: str = "open", after: str | None = None) -> Response:
        session = await current(request)
        if status not in ("open", "closed"):
            raise ConsoleError(400, "status must be open or closed")

        def load() -> views.QueuePage:
            with db.reading() as s:
                return views.queue_page(s, status=status, after=views.Cursor.decode(after))

        q = await run_in_threadpool(load)
        return page(request, "queue.html", session, q=q, after=after)

    # ---- a case --------------------------------------------------------------------------------------------
    @router.get("/cases/{case_id}")
    async def case_page(request: Request, case_id: int) -> Response:
        session = await current(request)

        def load() -> tuple[views.CaseContext | None, dict[str, Any] | None, list[dict[str, Any]]]:
            with db.reading() as s:
                ctx = views.case_context(s, case_id)
                nav = _neighbours(s, ctx.case) if ctx else None
                reports = [hotline.as_dict(r) for r in hotline.list_reports(s, case_id=case_id)]
            if ctx is not None:  # a case view shows the conversation: sensitive material, so it is audited
                with audit.audited_transaction(db) as s:
                    audit.record(s, actor=session.user.username, action="case.view", subject=f"case:{case_id}")
            return ctx, nav, reports

        ctx, nav, reports = await run_in_threadpool(load)
        if ctx is None:
            raise ConsoleError(404, f"there is no case {case_id}; it may have been merged or the link is wrong")
        return page(request, "case.html", session, c=ctx, nav=nav, hotline_reports=reports,
                    INCIDENT_TYPES=INCIDENT_TYPES, CLASSIFICATIONS=CLASSIFICATIONS)

    @router.post("/cases/{case_id}/action")
    async def case_action(request: Request, case_id: int) -> Response:
        session, form = await changing(request, "queue.view")
        action = form.get("action", "")
        try:
            hours = int(form.get("hours", "24") or 24)
        except ValueError:
            raise ConsoleError(400, "hours must be a whole number") from None
        msg = await run_in_threadpool(
            actions.act, db, session.user, case_id, action, account_id=form.get("account_id") or None,
            note=form.get("note", ""), hours=hours, close=form.get("close", "") in ("1", "on", "true"),
            report={k: form.get(k, "") for k in ("incident_type", "classification")},
        )
        if _wants_json(request):
            return JSONResponse({"message": msg})
        return _redirect(request, f"{PREFIX}/cases/{case_id}", msg)

    @router.post("/cases/{case_id}/reopen")
    async def case_reopen(request: Request, case_id: int) -> Response:
        session, _ = await changing(request, "case.act")
        msg = await run_in_threadpool(actions.reopen, db, session.user, case_id)
        return _redirect(request, f"{PREFIX}/cases/{case_id}", msg)

    # ---- media ---------------------------------------------------------------------------------------------
    @router.get("/media/{media_id}/preview")
    async def media_preview(request: Request, media_id: str) -> Response:
        await current(request)
        body, ctype = await run_in_threadpool(library.preview, media_id)
        return Response(body, media_type=ctype)

    @router.post("/cases/{case_id}/media/{media_id}/reveal")
    async def media_reveal(request: Request, case_id: int, media_id: str) -> Response:
        session, _ = await changing(request, "media.reveal")
        if library.find(media_id) is None:
            raise ConsoleError(404, f"media {media_id} is not in the media folder ({library.root})")
        await run_in_threadpool(actions.reveal_media, db, session.user, case_id, media_id)
        return JSONResponse({"url": f"{PREFIX}/media/{quote(media_id)}?case={case_id}"})

    @router.get("/media/{media_id}")
    async def media_full(request: Request, media_id: str) -> Response:
        session = await current(request, "media.reveal")

        def allowed() -> bool:
            with db.reading() as s:
                return actions.revealed_recently(s, session.user, media_id)

        if not await run_in_threadpool(allowed):
            raise ConsoleError(403, "reveal the media on the case page first (each reveal is audited)")
        found = library.find(media_id)
        if found is None:
            raise ConsoleError(404, f"media {media_id} is not in the media folder")
        return FileResponse(found[0], media_type=found[1])

    # ---- four eyes -----------------------------------------------------------------------------------------
    @router.get("/approvals")
    async def approvals(request: Request, show: str = "pending") -> Response:
        session = await current(request)

        def load() -> list[ApprovalRow]:
            with db.reading() as s:
                q = select(ApprovalRow).order_by(ApprovalRow.requested_at.desc()).limit(200)
                if show == "pending":
                    q = q.where(ApprovalRow.status == "pending")
                return list(s.scalars(q).all())

        rows = await run_in_threadpool(load)
        return page(request, "approvals.html", session, rows=rows, show=show)

    @router.post("/approvals/{approval_id}")
    async def approval_decide(request: Request, approval_id: int) -> Response:
        session, form = await changing(request, "approval.decide")
        decision = form.get("decision")
        if decision not in ("approve", "reject"):
            raise ConsoleError(400, "decision must be approve or reject")
        msg = await run_in_threadpool(actions.decide, db, engine, session.user, approval_id,
                                      decision == "approve", form.get("comment", ""))
        return _redirect(request, f"{PREFIX}/approvals", msg)

    @router.get("/cases/{case_id}/export")
    async def case_export(request: Request, case_id: int, format: str = "eu-html") -> Response:
        """The case for a hotline (EU JSON or HTML summary, or the CyberTipline XML as it would be sent)."""
        session = await current(request, "report.prepare")
        if format not in exports.FORMATS:
            raise ConsoleError(400, f"format must be one of {', '.join(exports.FORMATS)}")

        def load() -> tuple[bytes, str, str]:
            body = exports.export(db, case_id, format, media=library)
            with audit.audited_transaction(db) as s:
                audit.record(s, actor=session.user.username, action="case.export", subject=f"case:{case_id}",
                             details={"format": format})
            return body

        try:
            body, media_type, _ = await run_in_threadpool(load)
        except EvidenceError as exc:
            raise ConsoleError(404, str(exc)) from None
        ext = {"ncmec-xml": "xml", "eu-json": "json", "eu-html": "html"}[format]
        return Response(body, media_type=media_type, headers={
            "Content-Disposition": f'attachment; filename="case-{case_id}-{format}.{ext}"'})

    @router.post("/hotline-reports/{report_row_id}/retry")
    async def hotline_retry(request: Request, report_row_id: int) -> Response:
        session, _ = await changing(request, "approval.decide")
        try:
            row = await run_in_threadpool(hotline.retry, db, session.user.username, report_row_id)
        except LookupError as exc:
            raise ConsoleError(404, str(exc)) from None
        except ValueError as exc:
            raise ConsoleError(409, str(exc)) from None
        return _redirect(request, f"{PREFIX}/cases/{row.case_id}", f"hotline report #{row.id} queued again")

    # ---- policy --------------------------------------------------------------------------------------------
    @router.get("/policy")
    async def policy(request: Request) -> Response:
        session = await current(request)
        current_policy = engine.policy.current
        return page(request, "policy.html", session, policy=current_policy.describe(),
                    source=current_policy.source_text, path=engine.policy.path)

    @router.post("/policy")
    async def policy_propose(request: Request) -> Response:
        session, form = await changing(request, "policy.propose")
        approval_id = await run_in_threadpool(
            actions.request_policy_change, db, session.user, form.get("rules", ""),
            engine.policy.current.version, form.get("reason", ""))
        return _redirect(request, f"{PREFIX}/approvals",
                         f"rules change proposed (request #{approval_id}); a second person must approve it")

    # ---- audit ---------------------------------------------------------------------------------------------
    @router.get("/audit")
    async def audit_page(request: Request, subject: str | None = None, before: int | None = None,
                         verify: bool = False) -> Response:
        session = await current(request, "audit.view")

        def load() -> tuple[list[Any], audit.Verification | None]:
            with db.reading() as s:
                rows = audit.recent(s, subject=subject or None, limit=100, before=before)
            return rows, audit.verify(db) if verify else None

        rows, checked = await run_in_threadpool(load)
        return page(request, "audit.html", session, rows=rows, subject=subject or "", checked=checked)

    # ---- users ---------------------------------------------------------------------------------------------
    @router.get("/users")
    async def users(request: Request) -> Response:
        session = await current(request, "users.manage")
        return page(request, "users.html", session, users=await run_in_threadpool(auth.list_users, db),
                    generated=None)

    @router.post("/users")
    async def user_create(request: Request) -> Response:
        session, form = await changing(request, "users.manage")
        password = auth.generate_password()
        await run_in_threadpool(auth.create_user, db, form.get("username", ""), form.get("role", "viewer"),
                                password, created_by=session.user.username)
        return page(request, "users.html", session, users=await run_in_threadpool(auth.list_users, db),
                    generated=(form.get("username", "").strip().lower(), password))

    @router.post("/users/{username}")
    async def user_change(request: Request, username: str) -> Response:
        session, form = await changing(request, "users.manage")
        if username == session.user.username:
            raise ConsoleError(400, "change your own account with another admin")
        if "role" in form:
            await run_in_threadpool(auth.set_role, db, username, form["role"], by=session.user.username)
        if "active" in form:
            await run_in_threadpool(auth.set_active, db, username, form["active"] == "1",
                                    by=session.user.username)
        return _redirect(request, f"{PREFIX}/users", f"user {username} updated")

    # ---- static files shipped in the package ----------------------------------------------------------------
    @router.get("/static/{name}")
    def static(name: str) -> Response:
        path = STATIC / name
        if "/" in name or name.startswith(".") or not path.is_file():
            raise ConsoleError(404, "no such file")
        ctype = {"css": "text/css", "js": "text/javascript", "svg": "image/svg+xml"}.get(name.rsplit(".", 1)[-1])
        resp = FileResponse(path, media_type=ctype)
        resp.headers["Cache-Control"] = "max-age=300"
        return resp

    return router


def _safe_next(value: str) -> str:
    """Only a path inside the console (no open redirect to another site)."""
    if value.startswith(f"{PREFIX}/") and not value.startswith("//") and "\\" not in value:
        return value
    return ""


def _neighbours(s: Any, case: dict[str, Any]) -> dict[str, Any]:
    """The previous and next open case in queue order, for j/k on the case page."""
    from sqlalchemy import tuple_

    key = (case["priority_rank"], case["created_at"], case["id"])
    cols = tuple_(CaseRow.priority_rank, CaseRow.created_at, CaseRow.id)
    nxt = s.scalar(select(CaseRow.id).where(CaseRow.status == "open", cols > tuple_(*key))
                   .order_by(CaseRow.priority_rank, CaseRow.created_at, CaseRow.id).limit(1))
    prev = s.scalar(select(CaseRow.id).where(CaseRow.status == "open", cols < tuple_(*key))
                    .order_by(CaseRow.priority_rank.desc(), CaseRow.created_at.desc(), CaseRow.id.desc()).limit(1))
    return {"next": nxt, "prev": prev}


__all__ = ["ConsoleError", "User", "console_router"]
