"""/v1/media: hashing, matching, banks, entries, import and export over HTTP; bad input gets a clear 4xx."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from waakhond.api import media as media_api
from waakhond.detectors.media.samples import synthetic_image
from waakhond.store.schema import MediaEntryRow


def _jpeg(seed: int) -> bytes:
    buf = io.BytesIO()
    synthetic_image(seed).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _entries(api: Any) -> int:
    with api.app.state.engine.db.reading() as s:
        return int(s.scalar(select(func.count()).select_from(MediaEntryRow)) or 0)


def test_needs_an_api_key(api: Any) -> None:
    bare = TestClient(api.app)
    assert bare.get("/v1/media/banks").status_code == 401
    assert bare.post("/v1/media/hash", content=_jpeg(1)).status_code == 401


def test_hash_match_and_manage_banks(api: Any) -> None:
    pic = _jpeg(1)
    h = api.post("/v1/media/hash", content=pic, headers={"Content-Type": "image/jpeg"}).json()
    assert len(h["pdq"]) == 64 and h["quality"] >= 50 and len(h["md5"]) == 32 and len(h["dihedral"]) == 8
    # the same as a multipart form
    h2 = api.post("/v1/media/hash", files={"file": ("x.jpg", pic, "image/jpeg")}).json()
    assert h2["pdq"] == h["pdq"]
    assert api.post("/v1/media/banks", json={"name": "hotline", "pdq_threshold": 31}).status_code == 201
    assert api.post("/v1/media/banks", json={"name": "hotline"}).status_code == 409
    r = api.post("/v1/media/banks/hotline/entries", json={"pdq": h["pdq"], "source": "t", "category": "csam"})
    assert r.status_code == 201
    entry = r.json()
    assert api.post("/v1/media/banks/hotline/entries", json={"pdq": h["pdq"].upper()}).status_code == 200
    # the picture mirrored still matches (dihedral lookups)
    from PIL import Image, ImageOps

    buf = io.BytesIO()
    ImageOps.mirror(Image.open(io.BytesIO(pic))).save(buf, "JPEG", quality=80)
    m = api.post("/v1/media/match", content=buf.getvalue()).json()
    assert [x["entry_id"] for x in m["matches"]] == [entry["id"]]
    m = api.post("/v1/media/match", json={"pdq": h["pdq"]}).json()
    assert m["matches"][0]["distance"] == 0
    m = api.post("/v1/media/match", json={"md5": h["md5"]}).json()
    assert m["matches"] == []  # only the PDQ hash was banked
    assert api.post(f"/v1/media/entries/{entry['id']}/disable").json()["status"] == "disabled"
    assert api.post("/v1/media/match", json={"pdq": h["pdq"]}).json()["matches"] == []
    assert api.post(f"/v1/media/entries/{entry['id']}/enable").json()["status"] == "active"
    assert api.patch("/v1/media/banks/hotline", json={"enabled": False}).json()["enabled"] is False
    assert api.post("/v1/media/match", json={"pdq": h["pdq"]}).json()["matches"] == []
    api.patch("/v1/media/banks/hotline", json={"enabled": True})
    assert api.post(f"/v1/media/entries/{entry['id']}/tombstone").json()["status"] == "tombstoned"
    assert api.post(f"/v1/media/entries/{entry['id']}/enable").status_code == 409
    banks = api.get("/v1/media/banks").json()["banks"]
    assert [(b["name"], b["entries"]) for b in banks] == [("hotline", 0)]
    assert api.get("/v1/media/index").json()["entries"] == 0


def test_import_and_export(api: Any) -> None:
    api.post("/v1/media/banks", json={"name": "list"})
    rng = np.random.default_rng(2)
    lines = "\n".join(bytes(r).hex() for r in rng.integers(0, 256, (500, 32), dtype=np.uint8)) + "\n"
    r = api.post("/v1/media/banks/list/import?hash_type=pdq&source=t", content=lines.encode())
    assert r.status_code == 200 and r.json()["created"] == 500, r.text
    r = api.post("/v1/media/banks/list/import?hash_type=pdq", files={"file": ("l.txt", lines.encode())})
    assert r.json()["created"] == 0 and r.json()["existing"] == 500
    bad = lines + "zzzz\n"
    r = api.post("/v1/media/banks/list/import?hash_type=pdq", content=bad.encode())
    assert r.status_code == 422
    assert r.json()["error"]["problems"] == [{"message": "line 501: not a hex hash: 'zzzz' contains 'z'"}]
    assert _entries(api) == 500
    out = api.get("/v1/media/banks/list/export?format=csv")
    assert out.status_code == 200 and out.text.count("\n") == 501 and out.text.startswith("id,pdq,md5")
    txt = api.get("/v1/media/banks/list/export?format=txt&hash_type=pdq").text
    assert txt == lines or sorted(txt.split()) == sorted(lines.split())


def test_bad_input_is_refused_and_nothing_is_stored(api: Any, monkeypatch: Any) -> None:
    api.post("/v1/media/banks", json={"name": "b"})
    cases = [
        (api.post("/v1/media/hash", content=b""), 400),
        (api.post("/v1/media/hash", content=b"GIF89a\x00\x00"), 422),
        (api.post("/v1/media/hash", content=b"hello, this is text"), 415),
        (api.post("/v1/media/hash", content=_jpeg(2)[:300]), 422),  # truncated
        (api.post("/v1/media/match", json={"pdq": "abc"}), 422),
        (api.post("/v1/media/match", json={"pdq": "z" * 64}), 422),
        (api.post("/v1/media/match", json={}), 422),
        (api.post("/v1/media/banks/b/entries", json={"md5": "0" * 31}), 422),
        (api.post("/v1/media/banks/b/entries", json={"photodna": "x"}), 422),
        (api.post("/v1/media/banks/b/entries", json={}), 422),
        (api.post("/v1/media/banks/nope/entries", json={"md5": "0" * 32}), 404),
        (api.post("/v1/media/banks/b/import", content=b"0" * 64 + b"\n"), 422),  # 64 hex, no type
        (api.post("/v1/media/banks/b/import?hash_type=photodna", content=b"00\n"), 422),
        (api.post("/v1/media/banks", json={"name": "bad name!"}), 422),
        (api.post("/v1/media/banks", json={"name": "t", "pdq_threshold": 99}), 422),
        (api.post("/v1/media/entries/999/disable"), 404),
    ]
    for resp, status in cases:
        assert resp.status_code == status, (resp.request.url, resp.text)
        assert resp.json()["error"]["message"]
    # a declared size above the limit is refused before the body is read
    monkeypatch.setattr(media_api, "MAX_IMAGE_BYTES", 1000)
    r = api.post("/v1/media/hash", content=_jpeg(3))
    assert r.status_code == 413 and "too large" in r.json()["error"]["message"]
    assert _entries(api) == 0
