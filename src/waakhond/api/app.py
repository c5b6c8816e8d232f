"""The HTTP API: send events, get explained decisions back; read risk, decisions and cases.

Start it with ``waakhond serve``; the OpenAPI document is at ``/openapi.json`` and browsable at ``/docs``.
Every endpoint but ``/healthz`` needs an API key in the ``X-API-Key`` header (``waakhond apikey create``).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import RedirectResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import TypeAdapter
from sqlalchemy import select
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from waakhond import __version__, metrics
from waakhond.api import gating, media, schemas
from waakhond.api.auth import KeyCheck
from waakhond.api.errors import ApiError, JSONResponse, error, error_response
from waakhond.api.events import MAX_BATCH, EventsEndpoint, read_body
from waakhond.api.group_commit import GroupCommit
from waakhond.console import console_router
from waakhond.detectors.text.learned.tier import active as active_text_model
from waakhond.events import Event, InvalidInput, Problem
from waakhond.memory.state import Memory
from waakhond.pipeline import Engine
from waakhond.policy import PolicyError
from waakhond.reporting.api import reporting_router
from waakhond.store.schema import AccountRow, CaseRow, ConversationRow, DecisionRow, decisions_of, utcnow


class WaakhondAPI(FastAPI):
    """The FastAPI app, with ``POST /v1/events`` served by :meth:`EventsEndpoint.serve` before Starlette's
    middleware and routing (see :mod:`waakhond.api.events`); every other request goes the usual way."""

    events: EventsEndpoint | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (self.events is not None and scope["type"] == "http" and scope["path"] == "/v1/events"
                and scope["method"] == "POST"):
            await self.events.serve(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_app(engine: Engine) -> WaakhondAPI:
    app = WaakhondAPI(
        title="waakhond",
        version=__version__,
        summary="Child-safety engine: events in, explained decisions out.",
        description=(
            "Send the events your platform already has (messages, accounts, contacts, gifts, media, reports, "
            "moderation actions) to `POST /v1/events`; each answer is a decision with its verdict, actions, "
            "signals and explanation. All endpoints but `/healthz` need the `X-API-Key` header."
        ),
        default_response_class=JSONResponse,
    )
    writer = GroupCommit(engine)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await writer.close()

    app.router.lifespan_context = lifespan
    app.state.engine = engine
    db = engine.db
    error_responses: dict[int | str, dict[str, Any]] = {
        400: {"model": schemas.ErrorOut, "description": "malformed JSON or invalid UTF-8"},
        401: {"model": schemas.ErrorOut, "description": "missing or unknown API key"},
        409: {"model": schemas.ErrorOut, "description": "event id reused for a different event"},
        413: {"model": schemas.ErrorOut, "description": "body or batch too large"},
        422: {"model": schemas.ErrorOut, "description": "an event failed validation; nothing was stored"},
    }

    keys = KeyCheck(db)
    authed = [Depends(keys.dependency())]
    events_endpoint = EventsEndpoint(writer, keys)
    app.events = events_endpoint

    # ---- errors: always a JSON body naming the problem; never a stack trace --------------------------------
    async def _error_answer(_: Request, exc: Exception) -> Response:
        return error_response(exc)

    for exc_class in (ApiError, InvalidInput, StarletteHTTPException, Exception):
        app.add_exception_handler(exc_class, _error_answer)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> Response:
        problems = [Problem(e["msg"], field=".".join(str(p) for p in e["loc"])) for e in exc.errors()]
        return error(422, "invalid request parameters", problems)

    # ---- health and metrics --------------------------------------------------------------------------------
    @app.get("/healthz", tags=["operations"], summary="Liveness and store check (no API key needed)")
    def healthz() -> dict[str, Any]:
        with db.reading() as s:
            s.execute(select(1))
        return {"status": "ok", "version": __version__, "store": db.dialect,
                "policy_version": engine.policy.current.version}

    @app.get("/metrics", tags=["operations"], dependencies=authed, response_class=Response,
             summary="Prometheus metrics in text format")
    def prometheus() -> Response:
        return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)

    @app.get("/", include_in_schema=False)
    def home() -> Response:
        return RedirectResponse("/console/", status_code=307)  # the review console (API docs: /docs)

    app.include_router(console_router(engine))  # the review console at /console (issue 5)

    # ---- events --------------------------------------------------------------------------------------------
    @app.post(
        "/v1/events",
        tags=["events"],
        dependencies=authed,
        summary="Send one event or a batch; get the decision(s) back",
        description=(
            "The body is one event object or a list of up to 1,000. A batch is handled in one transaction: "
            "if any event is invalid, nothing is stored and the error names each failing event by index and "
            "id. Idempotent on event id: the same event sent again returns the stored decision."
        ),
        responses={
            200: {"content": {"application/json": {"schema": {"oneOf": [
                {"$ref": "#/components/schemas/DecisionOut"},
                {"$ref": "#/components/schemas/DecisionBatchOut"},
            ]}}}, "description": "a decision (single event) or {decisions: [...]} (batch)"},
            **error_responses,
        },
        openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
            "oneOf": [{"$ref": "#/components/schemas/Event"},
                      {"type": "array", "items": {"$ref": "#/components/schemas/Event"}, "maxItems": MAX_BATCH}]
        }}}}},
    )
    async def post_events(request: Request) -> Response:
        # Documents the endpoint; requests are served by ``EventsEndpoint.serve`` with the same parts.
        return await events_endpoint.answer(await read_body(request.headers.get("content-length"),
                                                             request.stream()))

    # ---- reads ---------------------------------------------------------------------------------------------
    @app.get("/v1/decisions/{event_id}", tags=["decisions"], dependencies=authed,
             responses={200: {"model": schemas.DecisionOut}, 404: {"model": schemas.ErrorOut}},
             summary="The stored decision for an event")
    def get_decision(event_id: str) -> Response:
        with db.reading() as s:
            row = s.get(DecisionRow, event_id)
            if row is None:
                raise ApiError(404, f"no decision for event {event_id!r}")
            return JSONResponse(row.body)

    @app.get("/v1/decisions", tags=["decisions"], dependencies=authed,
             responses={200: {"model": schemas.DecisionBatchOut}},
             summary="Recent decisions, newest first, filtered by conversation, account or verdict")
    def list_decisions(
        conversation_id: str | None = None,
        account_id: Annotated[str | None, Query(description="the acting account")] = None,
        verdict: str | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> Response:
        q = decisions_of(select(DecisionRow).order_by(DecisionRow.created_at.desc()).limit(limit),
                         conversation_id=conversation_id or None, account_id=account_id or None,
                         verdict=verdict or None)
        with db.reading() as s:
            return JSONResponse({"decisions": [r.body for r in s.scalars(q).all()]})

    @app.get("/v1/conversations/{conversation_id}", tags=["risk"], dependencies=authed,
             responses={200: {"model": schemas.ConversationOut}, 404: {"model": schemas.ErrorOut}},
             summary="Risk of a conversation (dm:A:B with ids sorted, group:ROOM, livestream:ROOM, comment:ID)")
    def get_conversation(conversation_id: str) -> Response:
        with db.reading() as s:
            row = s.get(ConversationRow, conversation_id)
            if row is None:
                raise ApiError(404, f"no conversation {conversation_id!r}")
            return JSONResponse(conversation_view(row))

    @app.get("/v1/accounts/{account_id}/risk", tags=["risk"], dependencies=authed,
             responses={200: {"model": schemas.AccountRiskOut}, 404: {"model": schemas.ErrorOut}},
             summary="An account's accumulated risk, with its history")
    def get_account_risk(account_id: str) -> Response:
        with db.reading() as s:
            acc = s.get(AccountRow, account_id)
            if acc is None:
                raise ApiError(404, f"no account {account_id!r}")
            memory = Memory(s)
            return JSONResponse({
                "account_id": acc.id,
                "risk": round(memory.decayed_risk(acc, utcnow()), 4),
                "suspended": acc.suspended,
                "reports_received": acc.reports_received,
                "blocks_received": acc.blocks_received,
                "first_contacts": acc.first_contacts,
                "first_contacts_to_minors": acc.first_contacts_to_minors,
                "history": [{"at": p.at.isoformat(), "risk": p.risk, "event_id": p.event_id}
                            for p in memory.risk_history(acc.id)],
            })

    @app.get("/v1/cases", tags=["cases"], dependencies=authed, responses={200: {"model": schemas.CaseListOut}},
             summary="The review queue: most urgent first, then oldest")
    def list_cases(
        status: Annotated[str, Query(pattern="^(open|closed)$")] = "open",
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> Response:
        q = (select(CaseRow).where(CaseRow.status == status)
             .order_by(CaseRow.priority_rank, CaseRow.created_at).limit(limit))
        with db.reading() as s:
            return JSONResponse({"cases": [case_view(c) for c in s.scalars(q).all()]})

    # ---- policy --------------------------------------------------------------------------------------------
    @app.get("/v1/policy", tags=["policy"], dependencies=authed, responses={200: {"model": schemas.PolicyOut}},
             summary="The active policy rules")
    def get_policy() -> Response:
        return JSONResponse(engine.policy.current.describe())

    @app.post("/v1/policy/reload", tags=["policy"], dependencies=authed,
              responses={200: {"model": schemas.PolicyOut}, 422: {"model": schemas.ErrorOut}},
              summary="Reload the rules file; a bad file is refused and the old rules stay active")
    def reload_policy() -> Response:
        try:
            policy = engine.policy.reload()
        except PolicyError as exc:
            raise ApiError(422, f"rules not reloaded, the previous rules stay active: {exc}") from None
        return JSONResponse(policy.describe())

    def custom_openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(title=app.title, version=app.version, summary=app.summary,
                           description=app.description, routes=app.routes)
        components = spec.setdefault("components", {}).setdefault("schemas", {})
        event_schema = TypeAdapter(Event).json_schema(ref_template="#/components/schemas/{model}")
        components.update(event_schema.pop("$defs", {}))
        components["Event"] = event_schema
        for model in (schemas.DecisionOut, schemas.DecisionBatchOut):
            s = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(s.pop("$defs", {}))
            components[model.__name__] = s
        app.openapi_schema = spec
        return spec

    app.include_router(gating.router(engine))
    app.include_router(reporting_router(engine))  # hotline reports, exports, DSA, retention (issue 5)
    app.include_router(media.router(engine))
    app.openapi = custom_openapi  # type: ignore[method-assign]
    return app


def settle_process() -> None:
    """Load what a serving process keeps for its lifetime, then take it out of the garbage collector's passes.

    A started engine holds about 250,000 long-lived objects (lexicons, the text model and its exemplars, schemas,
    routes). Every full collection walked all of them: 0.2-0.5 s during which no request was answered, which
    showed as the slowest percent of requests. ``gc.freeze`` moves them to a permanent generation; garbage made
    while serving is collected as before."""
    active_text_model()  # the shipped model loads on first use; load it now, before the freeze
    gc.collect()
    gc.freeze()


def conversation_view(row: ConversationRow) -> dict[str, Any]:
    state = row.state or {}
    return {
        "conversation_id": row.id,
        "channel": row.channel,
        "participants": list(row.participants),
        "risk": round(row.risk, 4),
        "alerted": row.alerted,
        "alert_event_id": row.alert_event_id,
        "alert_index": state.get("alert_index"),
        "message_count": row.message_count,
        "tactics": dict(state.get("tactic_counts", {})),
        "evidence": list(state.get("evidence", [])),
        "last_at": row.last_at.isoformat() if row.last_at else None,
    }


def case_view(c: CaseRow) -> dict[str, Any]:
    return {
        "id": c.id, "status": c.status, "priority": c.priority, "subject": c.subject_key,
        "account_id": c.account_id, "conversation_id": c.conversation_id, "reason": c.reason,
        "event_ids": list(c.event_ids), "created_at": c.created_at.isoformat(),
        "updated_at": c.updated_at.isoformat(),
    }
