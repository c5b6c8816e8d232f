"""A client for the CyberTipline Reporting API's documented flow.

    submit (report XML) → upload (each file) → fileinfo (each file's details) → finish

Requests use HTTP basic authentication with the ESP's credentials against the test or the production base URL
(``WAAKHOND_NCMEC_ENV``). Every answer is a ``<reportResponse>`` with ``responseCode`` (``0`` is success),
``responseDescription`` and, depending on the call, ``reportId`` and ``fileId``.

* Network errors, time-outs and HTTP 5xx are retried with exponential backoff (``retries`` times).
* HTTP 401/403 (credentials) and a non-zero ``responseCode`` (the hotline refused the document) are not
  retried: they will not go away by themselves.
* If a step after ``submit`` fails, :func:`send_report` retracts the opened report so that no half report
  stays behind at the hotline, and raises with what happened.

Every XML document is validated against the XSD before it is sent (:mod:`.validate`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from lxml import etree

from waakhond.reporting.config import ReportingConfig
from waakhond.reporting.ncmec.validate import InvalidReport, validate
from waakhond.reporting.ncmec.xml import ReportFile, file_details_xml


class NcmecError(Exception):
    """A call failed. ``retryable`` says whether trying the whole submission again later may help."""

    def __init__(self, message: str, *, retryable: bool, http_status: int | None = None,
                 response_code: int | None = None) -> None:
        super().__init__(message)
        self.retryable, self.http_status, self.response_code = retryable, http_status, response_code


@dataclass(frozen=True)
class ReportResponse:
    response_code: int
    description: str
    report_id: str | None = None
    file_id: str | None = None
    file_ids: tuple[str, ...] = ()


def parse_response(body: bytes) -> ReportResponse:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise NcmecError(f"the hotline answered with something that is not XML: {body[:200]!r} ({exc})",
                         retryable=True) from None

    def text(tag: str) -> str | None:
        el = root.find(f".//{tag}")
        return el.text.strip() if el is not None and el.text else None

    code = text("responseCode")
    try:
        response_code = int(code) if code is not None else 0
    except ValueError:
        raise NcmecError(f"the hotline answered with a responseCode that is not a number: {code!r}",
                         retryable=True) from None
    return ReportResponse(response_code, text("responseDescription") or "", text("reportId"), text("fileId"),
                          tuple(el.text.strip() for el in root.iterfind(".//files/fileId") if el.text))


class CyberTiplineClient:
    def __init__(self, config: ReportingConfig, *, timeout: float = 30.0, retries: int = 3, backoff: float = 1.0,
                 transport: httpx.BaseTransport | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        if not config.username or not config.password:
            raise NcmecError("no CyberTipline credentials: set WAAKHOND_NCMEC_USERNAME and WAAKHOND_NCMEC_PASSWORD",
                             retryable=False)
        self.config = config
        self.retries, self.backoff, self._sleep = retries, backoff, sleep
        self._http = httpx.Client(base_url=config.base_url, auth=(config.username, config.password),
                                  timeout=timeout, transport=transport,
                                  headers={"User-Agent": "waakhond-cybertip-client"})

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CyberTiplineClient:
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    # ---- one call, with retries ----------------------------------------------------------------------------
    def _call(self, method: str, path: str, **kwargs: Any) -> ReportResponse:
        last: NcmecError | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                self._sleep(self.backoff * 2 ** (attempt - 1))
            try:
                r = self._http.request(method, path, **kwargs)
            except httpx.TimeoutException as exc:
                last = NcmecError(f"{path}: no answer in time ({type(exc).__name__})", retryable=True)
                continue
            except httpx.TransportError as exc:
                last = NcmecError(f"{path}: network error: {exc}", retryable=True)
                continue
            if r.status_code >= 500:
                last = NcmecError(f"{path}: HTTP {r.status_code} from the hotline: {r.text[:300]}", retryable=True,
                                  http_status=r.status_code)
                continue
            if r.status_code in (401, 403):
                raise NcmecError(f"{path}: HTTP {r.status_code}: the hotline refused the credentials "
                                 "(check WAAKHOND_NCMEC_USERNAME/PASSWORD and WAAKHOND_NCMEC_ENV)",
                                 retryable=False, http_status=r.status_code)
            if r.status_code >= 400:
                raise NcmecError(f"{path}: HTTP {r.status_code}: {r.text[:300]}", retryable=False,
                                 http_status=r.status_code)
            resp = parse_response(r.content)
            if resp.response_code != 0:
                raise NcmecError(f"{path}: responseCode {resp.response_code}: {resp.description}", retryable=False,
                                 http_status=r.status_code, response_code=resp.response_code)
            return resp
        assert last is not None
        last.args = (f"{last.args[0]} (after {self.retries + 1} attempts)",)
        raise last

    # ---- the documented endpoints --------------------------------------------------------------------------
    def status(self) -> ReportResponse:
        """Check the credentials and the service (``GET /status``)."""
        return self._call("GET", "/status")

    def submit(self, report: bytes) -> str:
        result = validate(report)
        if not result.ok:
            raise InvalidReport("report", result)
        resp = self._call("POST", "/submit", content=report, headers={"Content-Type": "text/xml; charset=utf-8"})
        if not resp.report_id:
            raise NcmecError("/submit: the answer has no reportId", retryable=True)
        return resp.report_id

    def upload(self, report_id: str, f: ReportFile) -> str:
        resp = self._call("POST", "/upload", data={"id": report_id},
                          files={"file": (f.name, f.content(), f.content_type)})
        if not resp.file_id:
            raise NcmecError("/upload: the answer has no fileId", retryable=True)
        return resp.file_id

    def fileinfo(self, details: bytes) -> None:
        result = validate(details)
        if not result.ok:
            raise InvalidReport("file details", result)
        self._call("POST", "/fileinfo", content=details, headers={"Content-Type": "text/xml; charset=utf-8"})

    def finish(self, report_id: str) -> ReportResponse:
        return self._call("POST", "/finish", data={"id": report_id})

    def retract(self, report_id: str) -> ReportResponse:
        return self._call("POST", "/retract", data={"id": report_id})


@dataclass
class Progress:
    """What a submission achieved so far (kept in the store after each step)."""

    report_id: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    retracted: str | None = None


def send_report(client: CyberTiplineClient, report: bytes, files: list[ReportFile], *, supplemental: bool = False,
                on_progress: Callable[[Progress], None] | None = None) -> Progress:
    """Run the whole flow. On a failure after ``/submit`` the report is retracted and the error re-raised with
    the retraction (or its failure) added to the message."""
    # validate everything that can be validated before opening a report at the hotline
    result = validate(report)
    if not result.ok:
        raise InvalidReport("report", result)
    progress = Progress()
    progress.report_id = client.submit(report)
    if on_progress:
        on_progress(progress)
    try:
        for f in files:
            file_id = client.upload(progress.report_id, f)
            progress.files.append({"file_id": file_id, "name": f.name, "kind": f.kind, "md5": f.md5})
            if on_progress:
                on_progress(progress)
            client.fileinfo(file_details_xml(progress.report_id, file_id, f, supplemental=supplemental))
        client.finish(progress.report_id)
    except (NcmecError, InvalidReport, OSError) as exc:
        rid = progress.report_id
        try:
            client.retract(rid)
            note = f"; report {rid} was retracted"
            progress.retracted = rid
        except NcmecError as rexc:
            note = f"; retracting report {rid} failed too ({rexc}): retract it by hand"
        if isinstance(exc, NcmecError):
            raise NcmecError(f"{exc}{note}", retryable=exc.retryable, http_status=exc.http_status,
                             response_code=exc.response_code) from exc
        raise NcmecError(f"{exc}{note}", retryable=False) from exc
    return progress
