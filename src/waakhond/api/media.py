"""``/v1/media``: hash and match pictures and videos, manage hash banks, import and export hash lists.

Pictures and videos are sent as the raw request body (``curl --data-binary @photo.jpg``) or as one file in
a ``multipart/form-data`` form; they are hashed in memory and never stored. A video is recognised by its
container's signature (MP4/MOV, WebM/MKV, AVI, MPEG-TS/PS, FLV, Ogg) and hashed with vPDQ. Hash lists for import
are sent
the same way and spooled to a temporary file (deleted afterwards) so a large list is never held in memory.
Every size is checked from ``Content-Length`` before reading and again while reading.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from waakhond.api.auth import api_key_required
from waakhond.banks import (
    BankError,
    BankService,
    HashError,
    ImportRejected,
    export_lines,
    export_rows,
    import_file,
)
from waakhond.banks.index import BankIndex
from waakhond.banks.matcher import match_hashes
from waakhond.banks.models import BankRole, parse_hash
from waakhond.detectors.media.hashing import MediaError, hash_image
from waakhond.detectors.media.video import FrameHash, frames_to_json, hash_video, sniff_container
from waakhond.events import InvalidInput, Problem
from waakhond.events.models import VideoFrame

#: Largest picture accepted by hash and match.
MAX_IMAGE_BYTES = 32 * 1024 * 1024
#: Largest upload accepted by hash and match (a video; checked before reading it all).
MAX_VIDEO_BYTES = 256 * 1024 * 1024
#: Largest hash list accepted by import (spooled to disk; 1 M PDQ lines are about 65 MB).
MAX_IMPORT_BYTES = 1024 * 1024 * 1024
_BINARY = {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                       "multipart/form-data": {"schema": {"type": "object", "properties": {
                           "file": {"type": "string", "format": "binary"}}}}}}


_COMPARED = "vPDQ: share (%) of a known video's distinct frames an upload must match"
_QUERY = "vPDQ: share (%) of the upload's distinct frames that must match (0: it may hold other footage)"


class BankIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    role: Literal["match", "allow", "protected"] = "match"
    category: str | None = Field(default=None, max_length=60, description="default category of its entries")
    pdq_threshold: int = Field(default=31, ge=0, le=63, description="PDQ bits a match may differ by")
    vpdq_compared_pct: float = Field(default=80.0, ge=0, le=100, description=_COMPARED)
    vpdq_query_pct: float = Field(default=0.0, ge=0, le=100, description=_QUERY)
    description: str = Field(default="", max_length=2000)


class BankPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = None
    pdq_threshold: int | None = Field(default=None, ge=0, le=63)
    vpdq_compared_pct: float | None = Field(default=None, ge=0, le=100, description=_COMPARED)
    vpdq_query_pct: float | None = Field(default=None, ge=0, le=100, description=_QUERY)
    description: str | None = Field(default=None, max_length=2000)
    category: str | None = Field(default=None, max_length=60)


class EntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pdq: str | None = Field(default=None, description="64 hex digits")
    md5: str | None = Field(default=None, description="32 hex digits")
    sha256: str | None = Field(default=None, description="64 hex digits")
    vpdq: str | list[Any] | None = Field(
        default=None, description="a video's frame hashes: the vPDQ reference's lines (frame_number,quality,pdq_hex,"
                                  "timestamp), ThreatExchange's list of 'pdq_hex,quality,timestamp', or frame objects")
    vpdq_ref: str | None = Field(default=None, max_length=500,
                                 description="a reference to a video's hashes kept elsewhere (not matched)")
    category: str | None = Field(default=None, max_length=60)
    source: str | None = Field(default=None, max_length=200, description="the list it came from")
    external_id: str | None = Field(default=None, max_length=200)
    added_by: str | None = Field(default=None, max_length=200)


class MatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pdq: str | None = None
    pdq_quality: int | None = Field(default=None, ge=0, le=100)
    md5: str | None = None
    sha256: str | None = None
    vpdq: list[VideoFrame] | None = Field(default=None, max_length=3600, description="a video's frames")


def router(engine: Any) -> APIRouter:
    db = engine.db
    svc = BankService(db)
    index = BankIndex.shared(db)
    index.ensure_loaded()  # at start, not on the first upload
    r = APIRouter(prefix="/v1/media", tags=["media"], dependencies=[Depends(api_key_required(db))])

    def bank_error(exc: BankError) -> HTTPException:
        return HTTPException(exc.status, str(exc))

    @r.post("/hash", summary="Hash a picture (PDQ with quality, MD5, SHA-256) or a video (vPDQ, MD5, SHA-256); "
                             "nothing is stored",
            description="A video's `vpdq` frames are what a `media` event of `media_type` `video` carries.",
            openapi_extra={"requestBody": {"required": True, **_BINARY}})
    async def hash_picture(request: Request) -> dict[str, Any]:
        data = await _read_upload(request, MAX_VIDEO_BYTES)
        h = await asyncio.to_thread(_hash, data)
        return _hashes_view(h)

    @r.post("/match", summary="Match a picture or a video, or their hashes, against the enabled banks",
            description="Send the picture or video (raw body or multipart `file`) or JSON `{pdq, pdq_quality, "
                        "md5, sha256, vpdq}`. For a picture every dihedral variant and the picture inside flat "
                        "margins are looked up; a video's frames find the known videos sharing frames with it, "
                        "compared whole by vPDQ with each bank's percentages. Nothing is stored.",
            openapi_extra={"requestBody": {"required": True, "content": {
                **_BINARY["content"], "application/json": {"schema": MatchIn.model_json_schema()}}}})
    async def match(request: Request, roles: Annotated[str, Query(
            description="comma-separated bank roles to match: match, allow, protected")] = "match,allow",
    ) -> dict[str, Any]:
        try:
            wanted = [BankRole(x.strip()) for x in roles.split(",") if x.strip()]
        except ValueError:
            raise HTTPException(422, f"roles: unknown role in {roles!r} (match, allow, protected)") from None
        ctype = request.headers.get("content-type", "")
        out: dict[str, Any] = {}
        if ctype.startswith("application/json"):
            body = await _read_upload(request, 64 * 1024)
            try:
                q = MatchIn.model_validate_json(body)
                pdq = parse_hash(q.pdq, "pdq")[1] if q.pdq else None
                md5 = parse_hash(q.md5, "md5")[1] if q.md5 else None
                sha = parse_hash(q.sha256, "sha256")[1] if q.sha256 else None
            except HashError as exc:
                raise HTTPException(422, str(exc)) from None
            except ValueError as exc:
                raise HTTPException(422, f"invalid match request: {exc}") from None
            frames = [FrameHash(f.frame_number if f.frame_number is not None else n, f.quality, f.pdq.lower(),
                                f.timestamp) for n, f in enumerate(q.vpdq or ())]
            if not (pdq or md5 or sha or frames):
                raise HTTPException(422, "give at least one of pdq, md5, sha256, vpdq")
            lookups, quality = ([pdq] if pdq else []), q.pdq_quality
        else:
            data = await _read_upload(request, MAX_VIDEO_BYTES)
            h = await asyncio.to_thread(_hash, data)
            out["hashes"] = _hashes_view(h)
            md5, sha = h.md5, h.sha256
            lookups, quality, frames = ([], None, list(h.frames)) if _is_video(h) else (list(h.lookups), h.quality, [])

        def run() -> dict[str, Any]:
            with db.reading() as s:
                return match_hashes(s, index, pdq=lookups, md5=md5, sha256=sha, quality=quality,
                                    roles=wanted, video=frames).as_dict()

        out.update(await asyncio.to_thread(run))
        return out

    # ---- banks ---------------------------------------------------------------------------------------------
    @r.get("/banks", summary="Every bank with its settings and number of active entries")
    def list_banks() -> dict[str, Any]:
        return {"banks": [b.as_dict() for b in svc.list_banks()]}

    @r.post("/banks", status_code=201, summary="Create a bank (role match, allow or protected)")
    def create_bank(body: BankIn) -> dict[str, Any]:
        try:
            return svc.create_bank(body.name, role=body.role, category=body.category,
                                   pdq_threshold=body.pdq_threshold, description=body.description,
                                   vpdq_compared_pct=body.vpdq_compared_pct, vpdq_query_pct=body.vpdq_query_pct,
                                   created_by="api").as_dict()
        except BankError as exc:
            raise bank_error(exc) from None

    @r.get("/banks/{bank}", summary="One bank, by id or name")
    def get_bank(bank: str) -> dict[str, Any]:
        try:
            return svc.get_bank(bank).as_dict()
        except BankError as exc:
            raise bank_error(exc) from None

    @r.patch("/banks/{bank}", summary="Enable or disable a bank, change its thresholds, category or description")
    def patch_bank(bank: str, body: BankPatch) -> dict[str, Any]:
        try:
            return svc.update_bank(bank, **body.model_dump(exclude_none=True)).as_dict()
        except BankError as exc:
            raise bank_error(exc) from None

    @r.get("/banks/{bank}/entries", summary="Entries of a bank, in id order (page with after_id)")
    def list_entries(bank: str, status: Annotated[str | None, Query(
            pattern="^(active|disabled|tombstoned)$")] = None,
            after_id: Annotated[int, Query(ge=0)] = 0,
            limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
        try:
            return {"entries": svc.list_entries(bank, status=status, after_id=after_id, limit=limit)}
        except BankError as exc:
            raise bank_error(exc) from None

    @r.post("/banks/{bank}/entries", summary="Add an entry (hashes and metadata; idempotent on its hashes)",
            responses={201: {"description": "created"}, 200: {"description": "an entry with one of these "
                                                                              "hashes was already there"}})
    def add_entry(bank: str, body: EntryIn) -> Any:
        from fastapi.responses import JSONResponse

        vpdq = body.vpdq if body.vpdq is None or isinstance(body.vpdq, str) else json.dumps(body.vpdq)
        hashes = {"pdq": body.pdq, "md5": body.md5, "sha256": body.sha256, "vpdq": vpdq, "vpdq_ref": body.vpdq_ref}
        try:
            entry_id, created = svc.add_entry(bank, hashes, category=body.category, source=body.source,
                                              external_id=body.external_id, added_by=body.added_by or "api")
            return JSONResponse({**svc.get_entry(entry_id), "created": created}, status_code=201 if created else 200)
        except BankError as exc:
            raise bank_error(exc) from None

    @r.get("/entries/{entry_id}", summary="One entry")
    def get_entry(entry_id: int) -> dict[str, Any]:
        try:
            return svc.get_entry(entry_id)
        except BankError as exc:
            raise bank_error(exc) from None

    @r.post("/entries/{entry_id}/{action}",
            summary="disable, enable, tombstone (final) or release (from flood-control quarantine) an entry")
    def entry_action(entry_id: int, action: Literal["disable", "enable", "tombstone", "release"]) -> dict[str, Any]:
        try:
            if action == "release":
                return svc.release_quarantine(entry_id)
            status = {"disable": "disabled", "enable": "active", "tombstone": "tombstoned"}[action]
            return svc.set_entry_status(entry_id, status)
        except BankError as exc:
            raise bank_error(exc) from None

    @r.post("/banks/{bank}/import", summary="Import a hash list (plain, CSV, JSON, JSON Lines): all or nothing",
            description="The list is the raw body (or a multipart `file`). Every row is checked first; a list "
                        "with any bad row is refused whole (422, each problem with its line) and nothing is "
                        "imported. Importing the same list again changes nothing.",
            openapi_extra={"requestBody": {"required": True, **_BINARY}})
    async def import_list(
        bank: str, request: Request,
        format: Annotated[Literal["txt", "csv", "json", "jsonl"] | None, Query(
            description="default: from the file name, else from the content")] = None,
        hash_type: Annotated[str | None, Query(description="for lists without a type column: pdq, md5, sha256")] = None,
        source: Annotated[str | None, Query(max_length=200,
                                            description="source list name for rows without one")] = None,
        filename: Annotated[str | None, Query(max_length=200)] = None,
    ) -> dict[str, Any]:
        with tempfile.TemporaryFile() as tmp:
            name = await _spool_upload(request, tmp, MAX_IMPORT_BYTES)
            tmp.seek(0)

            def run() -> dict[str, Any]:
                return import_file(db, bank, tmp, fmt=format, filename=filename or name, hash_type=hash_type,
                                   source=source, added_by="api").as_dict()

            try:
                return await asyncio.to_thread(run)
            except ImportRejected as exc:
                raise InvalidInput([Problem(p) for p in exc.problems]) from None
            except BankError as exc:
                raise bank_error(exc) from None

    @r.get("/banks/{bank}/export", summary="Export a bank's entries (streamed)",
           responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}, "text/plain": {}}}})
    def export(bank: str, format: Literal["txt", "csv", "json", "jsonl"] = "csv",
               hash_type: Annotated[str | None, Query(description="txt only: one hash type")] = None,
               include_inactive: bool = False) -> StreamingResponse:
        try:
            name = svc.get_bank(bank).name
            if hash_type:
                from waakhond.banks.models import hash_type_of

                hash_type_of(hash_type)
        except (BankError, HashError) as exc:
            raise HTTPException(getattr(exc, "status", 422), str(exc)) from None
        media = {"csv": "text/csv", "jsonl": "application/x-ndjson", "json": "application/json",
                 "txt": "text/plain"}[format]

        def body() -> Iterator[bytes]:
            for piece in export_lines(export_rows(db, bank, include_inactive=include_inactive), format,
                                      hash_type=hash_type):
                yield piece.encode()

        return StreamingResponse(body(), media_type=media, headers={
            "Content-Disposition": f'attachment; filename="{name}.{format}"'})

    @r.get("/index", summary="The in-memory PDQ index: entries per bank, memory, watermark, last load")
    def index_stats() -> dict[str, Any]:
        index.sync()
        return index.stats()

    return r


def _hash(data: bytes) -> Any:
    """Hashes of a picture, or of a video when the bytes start like a video container."""
    video = sniff_container(data) is not None
    try:
        if video:
            return hash_video(data)
        if len(data) > MAX_IMAGE_BYTES:
            raise HTTPException(413, f"upload too large: {len(data)} bytes, at most {MAX_IMAGE_BYTES} for a picture")
        return hash_image(data)
    except MediaError as exc:
        status = 413 if exc.reason == "too_large" else 415 if exc.reason == "unsupported" else 422
        what = "a video" if video else "a picture"
        raise HTTPException(status, f"not {what} we can hash ({exc.reason}): {exc.message}") from None


def _is_video(h: Any) -> bool:
    return hasattr(h, "frames")


def _hashes_view(h: Any) -> dict[str, Any]:
    if _is_video(h):
        return {"media_type": "video", "md5": h.md5, "sha256": h.sha256, "duration": h.duration, "width": h.width,
                "height": h.height, "container": h.container, "codec": h.codec, "vpdq": frames_to_json(h.frames)}
    return {"media_type": "image", "pdq": h.pdq, "quality": h.quality, "matchable": h.matchable, "md5": h.md5,
            "sha256": h.sha256, "width": h.width, "height": h.height, "dihedral": list(h.dihedral),
            "trimmed": list(h.trimmed), "unmarked": list(h.unmarked), "lookups": list(h.lookups)}


def _check_length(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"upload too large: {declared} bytes, at most {limit}")


async def _read_upload(request: Request, limit: int) -> bytes:
    """The uploaded bytes (raw body, or the one file of a multipart form), refusing more than ``limit``."""
    with tempfile.SpooledTemporaryFile(max_size=limit) as tmp:
        await _spool_upload(request, tmp, limit, what="file")
        tmp.seek(0)
        data: bytes = tmp.read()
    if not data:
        raise HTTPException(400, "empty upload: send the file as the request body or as the form field 'file'")
    return data


async def _spool_upload(request: Request, out: Any, limit: int, what: str = "list") -> str | None:
    """Copy the upload into ``out`` (a file), refusing more than ``limit`` bytes; the file name if a form
    gave one."""
    _check_length(request, limit)
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        if not request.headers.get("content-length"):
            raise HTTPException(411, "a multipart upload needs a Content-Length header")
        form = await request.form(max_files=1, max_fields=10)
        try:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise HTTPException(422, "the multipart form needs a file field named 'file'")
            size = 0
            while chunk := await upload.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    raise HTTPException(413, f"upload too large: more than {limit} bytes")
                out.write(chunk)
            return upload.filename
        finally:
            await form.close()
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"upload too large: more than {limit} bytes")
        out.write(chunk)
    if not size:
        raise HTTPException(400, f"empty upload: send the {what} as the request body or as the form field 'file'")
    return None
