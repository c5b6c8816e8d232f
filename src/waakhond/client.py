"""A small Python client for the waakhond HTTP API.

    >>> from waakhond.client import Client
    >>> wh = Client("http://127.0.0.1:8000", api_key="wh_...")            # doctest: +SKIP
    >>> d = wh.send({"id": "m1", "kind": "message", ...})                   # doctest: +SKIP
    >>> d["verdict"], d["explanation"]                                       # doctest: +SKIP

Errors from the server raise :class:`WaakhondError` with the HTTP status and the list of problems (which
event, which field, what is wrong).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx


class WaakhondError(Exception):
    def __init__(self, status: int, message: str, problems: list[dict[str, Any]]) -> None:
        super().__init__(f"{status}: {message}")
        self.status, self.message, self.problems = status, message, problems


class Client:
    def __init__(self, base_url: str = "http://127.0.0.1:8000", api_key: str = "", *, timeout: float = 10.0,
                 http: httpx.Client | None = None) -> None:
        self._http = http or httpx.Client(base_url=base_url, timeout=timeout)
        self._headers = {"X-API-Key": api_key} if api_key else {}

    def _call(self, method: str, path: str, **kw: Any) -> Any:
        r = self._http.request(method, path, headers=self._headers, **kw)
        if r.status_code >= 400:
            try:
                err = r.json()["error"]
            except Exception:  # not our error shape (a proxy in between, say)
                raise WaakhondError(r.status_code, r.text[:500], []) from None
            raise WaakhondError(err["status"], err["message"], err.get("problems", []))
        return r.json()

    def send(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """Send one event; returns its decision."""
        return dict(self._call("POST", "/v1/events", json=dict(event)))

    def send_batch(self, events: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Send up to 1,000 events in one transaction; returns their decisions in order."""
        return list(self._call("POST", "/v1/events", json=[dict(e) for e in events])["decisions"])

    def decision(self, event_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/v1/decisions/{event_id}"))

    def conversation(self, conversation_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/v1/conversations/{conversation_id}"))

    def account_risk(self, account_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/v1/accounts/{account_id}/risk"))

    def cases(self, status: str = "open", limit: int = 50) -> list[dict[str, Any]]:
        return list(self._call("GET", "/v1/cases", params={"status": status, "limit": limit})["cases"])

    def health(self) -> dict[str, Any]:
        return dict(self._call("GET", "/healthz"))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
