"""A local stand-in for the CyberTipline Reporting API that speaks its documented protocol.

Endpoints: ``GET /status``, ``POST /submit`` (report XML), ``POST /upload`` (multipart ``id`` + ``file``),
``POST /fileinfo`` (fileDetails XML), ``POST /finish`` and ``POST /retract`` (form ``id``). Every answer is a
``<reportResponse>`` (``<reportDone>`` for ``/finish``) with ``responseCode`` 0 on success.

The server checks what a real one would refuse: basic-auth credentials (HTTP 401), XML that fails the schema
(``responseCode`` 1001), unknown or closed report ids (1100), file details for a file not uploaded (1101).
Tests make it misbehave with :meth:`FakeCyberTipline.fail`: an HTTP status, a ``responseCode``, or a delay
(for time-outs), for the next N calls of one endpoint.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from fastapi import FastAPI, Request
from fastapi.responses import Response
from lxml import etree

from waakhond.reporting.ncmec.validate import validate


@dataclass
class Fault:
    http_status: int | None = None
    response_code: int | None = None
    description: str = "error"
    delay: float = 0.0


@dataclass
class FakeReport:
    id: str
    xml: bytes
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    finished: bool = False
    retracted: bool = False


def _response(code: int = 0, description: str = "Success", root: str = "reportResponse", **extra: str) -> Response:
    parts = [f"<responseCode>{code}</responseCode>",
             f"<responseDescription>{escape(description)}</responseDescription>"]
    parts += [f"<{k}>{escape(v)}</{k}>" for k, v in extra.items()]
    body = f'<?xml version="1.0" encoding="UTF-8"?><{root}>{"".join(parts)}</{root}>'
    return Response(body, media_type="text/xml")


class FakeCyberTipline:
    def __init__(self, username: str = "esp-user", password: str = "esp-secret") -> None:
        self.username, self.password = username, password
        self.reports: dict[str, FakeReport] = {}
        self.calls: list[tuple[str, int]] = []  # (path, responseCode, HTTP status, or -1 for a timed-out call)
        self._faults: dict[str, list[Fault]] = {}
        self._ids = itertools.count(90_000_001)
        self._lock = threading.Lock()
        self.app = self._build()

    # ---- test controls -------------------------------------------------------------------------------------
    def fail(self, path: str, times: int = 1, **fault: Any) -> None:
        """Make the next ``times`` calls of ``path`` (e.g. ``"/upload"``) fail as described."""
        self._faults.setdefault(path, []).extend(Fault(**fault) for _ in range(times))

    def paths(self) -> list[str]:
        return [p for p, _ in self.calls]

    # ---- the protocol --------------------------------------------------------------------------------------
    def _build(self) -> FastAPI:
        app = FastAPI()

        def authorised(request: Request) -> bool:
            header = request.headers.get("authorization", "")
            if not header.startswith("Basic "):
                return False
            try:
                user, _, pw = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                return False
            return (user, pw) == (self.username, self.password)

        async def guard(request: Request, path: str) -> Response | None:
            if not authorised(request):
                self.calls.append((path, 401))
                return Response("Unauthorized", status_code=401, headers={"WWW-Authenticate": "Basic"})
            queue = self._faults.get(path)
            if queue:
                fault = queue.pop(0)
                if fault.delay:
                    slow_only = fault.http_status is None and fault.response_code is None
                    if slow_only:
                        self.calls.append((path, -1))
                    await asyncio.sleep(fault.delay)  # the client times out first and has gone
                    if slow_only:
                        return Response("too late", status_code=504)
                if fault.http_status:
                    self.calls.append((path, fault.http_status))
                    return Response("server trouble", status_code=fault.http_status)
                if fault.response_code is not None:
                    self.calls.append((path, fault.response_code))
                    return _response(fault.response_code, fault.description)
            return None

        def open_report(rid: str | None) -> FakeReport | None:
            r = self.reports.get(rid or "")
            return r if r is not None and not r.finished and not r.retracted else None

        def done(path: str, code: int = 0) -> None:
            self.calls.append((path, code))

        @app.get("/status")
        async def status(request: Request) -> Response:
            if (bad := await guard(request, "/status")) is not None:
                return bad
            done("/status")
            return _response(0, "Server is up")

        @app.post("/submit")
        async def submit(request: Request) -> Response:
            if (bad := await guard(request, "/submit")) is not None:
                return bad
            body = await request.body()
            result = validate(body)
            if not result.ok:
                done("/submit", 1001)
                return _response(1001, f"Report XML failed validation: {result}")
            rid = str(next(self._ids))
            with self._lock:
                self.reports[rid] = FakeReport(rid, body)
            done("/submit")
            return _response(0, "Success", reportId=rid)

        @app.post("/upload")
        async def upload(request: Request) -> Response:
            if (bad := await guard(request, "/upload")) is not None:
                return bad
            form = await request.form()
            report = open_report(str(form.get("id", "")))
            if report is None:
                done("/upload", 1100)
                return _response(1100, "Unknown or closed report id")
            upload_file = form.get("file")
            if upload_file is None or isinstance(upload_file, str):
                done("/upload", 1102)
                return _response(1102, "No file in the request")
            data = await upload_file.read()
            fid = hashlib.sha1(f"{report.id}:{len(report.files)}".encode()).hexdigest()
            report.files[fid] = {"name": upload_file.filename, "data": data,
                                 "md5": hashlib.md5(data).hexdigest(), "details": None}
            done("/upload")
            return _response(0, "Success", reportId=report.id, fileId=fid, hash=report.files[fid]["md5"])

        @app.post("/fileinfo")
        async def fileinfo(request: Request) -> Response:
            if (bad := await guard(request, "/fileinfo")) is not None:
                return bad
            body = await request.body()
            result = validate(body)
            if not result.ok:
                done("/fileinfo", 1001)
                return _response(1001, f"File details XML failed validation: {result}")
            root = etree.fromstring(body)
            report = open_report(root.findtext("reportId"))
            fid = root.findtext("fileId") or ""
            if report is None or fid not in report.files:
                done("/fileinfo", 1101)
                return _response(1101, "Unknown report id or file id")
            report.files[fid]["details"] = body
            done("/fileinfo")
            return _response(0, "Success", reportId=report.id)

        @app.post("/finish")
        async def finish(request: Request) -> Response:
            if (bad := await guard(request, "/finish")) is not None:
                return bad
            report = open_report(str((await request.form()).get("id", "")))
            if report is None:
                done("/finish", 1100)
                return _response(1100, "Unknown or closed report id")
            report.finished = True
            done("/finish")
            files = "".join(f"<fileId>{f}</fileId>" for f in report.files)
            body = (f'<?xml version="1.0" encoding="UTF-8"?><reportDone><responseCode>0</responseCode>'
                    f"<reportId>{report.id}</reportId><files>{files}</files></reportDone>")
            return Response(body, media_type="text/xml")

        @app.post("/retract")
        async def retract(request: Request) -> Response:
            if (bad := await guard(request, "/retract")) is not None:
                return bad
            report = open_report(str((await request.form()).get("id", "")))
            if report is None:
                done("/retract", 1100)
                return _response(1100, "Unknown or closed report id")
            report.retracted = True
            done("/retract")
            return _response(0, "Success", reportId=report.id)

        return app
