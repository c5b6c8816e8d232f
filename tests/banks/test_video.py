"""Known videos: vPDQ entries in banks (import, export, index), and a video upload matched end to end —
media event → known_media → urgent case, held media, report — through the pipeline, the API and the CLI.
Every video is generated at test time (panning generated pictures with moving discs)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select
from tests.conftest import at
from typer.testing import CliRunner

from waakhond.banks import BankService, ImportRejected, export_lines, export_rows, import_file
from waakhond.banks.index import BankIndex
from waakhond.banks.matcher import match_hashes
from waakhond.cli.main import app
from waakhond.detectors.media.samples import reencode_video, synthetic_video
from waakhond.detectors.media.video import FrameHash, frames_to_json, hash_video, to_vpdq_lines
from waakhond.events import parse_event
from waakhond.pipeline import Engine
from waakhond.store.database import Database
from waakhond.store.schema import EventRow, MediaEntryRow

CLIP = synthetic_video(21, seconds=8, fps=10, size=(320, 240))
KNOWN = hash_video(CLIP)
COPY_BYTES = reencode_video(CLIP, size=(224, 168), bit_rate=150_000)  # a transcoded, smaller re-upload
COPY = hash_video(COPY_BYTES)
OTHER_BYTES = synthetic_video(22, seconds=8, fps=10, size=(320, 240))
OTHER = hash_video(OTHER_BYTES)


def jsonl(*rows: dict[str, Any]) -> io.BytesIO:
    return io.BytesIO(b"".join(orjson.dumps(r) + b"\n" for r in rows))


def video_event(eid: str, h: Any, *, md5: bool = True) -> Any:
    e: dict[str, Any] = {"id": eid, "kind": "media", "occurred_at": at(0), "account_id": "uploader",
                         "media_id": f"m-{eid}", "media_type": "video", "vpdq": frames_to_json(h.frames)}
    if md5:
        e["md5"] = h.md5
    return parse_event(e)


def known_bank(db: Database, **kw: Any) -> int:
    BankService(db).create_bank("test-hotline", category="csam", **kw)
    res = import_file(db, "test-hotline", jsonl({"vpdq": frames_to_json(KNOWN.frames), "md5": KNOWN.md5,
                                                 "external_id": "video-1", "source": "test-list"}), fmt="jsonl")
    assert res.created == 1
    with db.reading() as s:
        return int(s.scalar(select(MediaEntryRow.id)) or 0)


def test_a_reencoded_copy_of_a_banked_video_is_blocked_with_an_urgent_case_and_a_report(any_db: Database) -> None:
    entry_id = known_bank(any_db)
    assert COPY.md5 != KNOWN.md5  # not a byte copy: only vPDQ can find it
    engine = Engine(any_db)
    [d] = engine.process([video_event("v1", COPY)])
    [sig] = [s for s in d.signals if s.name == "known_media"]
    [m] = sig.related["matches"]
    assert (m["entry_id"], m["hash_type"], m["external_id"]) == (entry_id, "vpdq", "video-1")
    assert m["compared_pct"] >= 80 and sig.score >= 0.7
    assert "vPDQ" in sig.explanation
    assert d.verdict.value == "block_delivery"
    actions = {a.type.value: a for a in d.actions}
    assert actions["queue_case"].params["priority"] == "urgent" and "prepare_report" in actions
    # the very same file: an exact MD5 match
    [d] = engine.process([video_event("v2", KNOWN)])
    assert [s.related["matches"][0]["hash_type"] for s in d.signals if s.name == "known_media"] == ["md5"]
    # an unrelated video: nothing
    [d] = engine.process([video_event("v3", OTHER)])
    assert not [s for s in d.signals if s.name.startswith("known_media")]


def test_frames_alone_match_and_entries_follow_their_status(db: Database) -> None:
    entry_id = known_bank(db)
    svc = BankService(db)
    index = BankIndex.shared(db)

    def found(frames: Any) -> list[tuple[int, str]]:
        with db.reading() as s:
            return [(m.entry_id, m.hash_type) for m in match_hashes(s, index, video=frames).matches]

    assert found(COPY.frames) == [(entry_id, "vpdq")]
    assert found(OTHER.frames) == []
    svc.set_entry_status(entry_id, "disabled")
    assert found(COPY.frames) == []
    svc.set_entry_status(entry_id, "active")
    assert found(COPY.frames) == [(entry_id, "vpdq")]
    svc.update_bank("test-hotline", enabled=False)
    assert found(COPY.frames) == []


def test_per_bank_percentages(db: Database) -> None:
    """An excerpt matches only when the bank asks for a smaller share of the known video; an upload with
    other footage around the known video matches unless the bank asks for a share of the upload too."""
    entry_id = known_bank(db)
    svc = BankService(db)
    index = BankIndex.shared(db)
    excerpt = COPY.frames[: len(COPY.frames) // 2]
    longer = COPY.frames + OTHER.frames

    def found(frames: Any) -> list[Any]:
        with db.reading() as s:
            return match_hashes(s, index, video=frames).matches

    assert found(excerpt) == []
    assert found(longer)[0].entry_id == entry_id and found(longer)[0].query_pct <= 60
    svc.update_bank("test-hotline", vpdq_compared_pct=40)
    assert [m.entry_id for m in found(excerpt)] == [entry_id]
    svc.update_bank("test-hotline", vpdq_query_pct=90)
    assert found(longer) == []
    with pytest.raises(ValueError, match="percentage"):
        svc.update_bank("test-hotline", vpdq_query_pct=101)


def test_import_shapes_export_round_trip_and_idempotence(db: Database) -> None:
    svc = BankService(db)
    for name in ("a", "b", "c"):
        svc.create_bank(name)
    te_signal = json.dumps([f"{f.pdq},{f.quality},{f.timestamp:.3f}" for f in KNOWN.frames])  # ThreatExchange's
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["md5", "vpdq", "external_id"])
    w.writerow([OTHER.md5, to_vpdq_lines(OTHER.frames), "other"])  # the reference's lines in one CSV cell
    res = import_file(db, "a", io.BytesIO(buf.getvalue().encode()), fmt="csv")
    assert res.created == 1
    assert import_file(db, "a", jsonl({"hash_type": "vpdq", "hash": te_signal}), fmt="jsonl").created == 1
    # the same lists again change nothing, a video without MD5 included
    assert import_file(db, "a", jsonl({"hash_type": "vpdq", "hash": te_signal}), fmt="jsonl").created == 0
    assert import_file(db, "a", io.BytesIO(buf.getvalue().encode()), fmt="csv").created == 0
    views = svc.list_entries("a")
    assert sorted(v["vpdq_frames"] for v in views) == sorted([len(OTHER.frames), len(KNOWN.frames)])
    # export in every shape that carries frames, import into another bank: the same frames come back
    for fmt, bank in (("csv", "b"), ("jsonl", "c")):
        text = "".join(export_lines(export_rows(db, "a"), fmt))
        assert import_file(db, bank, io.BytesIO(text.encode()), fmt=fmt).created == 2
    with db.reading() as s:
        frames = {r.bank_id: set() for r in s.scalars(select(MediaEntryRow))}
        for r in s.scalars(select(MediaEntryRow)):
            frames[r.bank_id].add(r.vpdq)
    assert len({frozenset(v) for v in frames.values()}) == 1
    index = BankIndex.shared(db)
    with db.reading() as s:
        banks = {m.bank for m in match_hashes(s, index, video=COPY.frames).matches}
    assert banks == {"a", "b", "c"}


@pytest.mark.parametrize("bad", [
    {"vpdq": ["ab,100,0.0"]},  # a short hash
    {"vpdq": "0,100," + "0" * 64},  # reference lines need four fields
    {"vpdq": [f"{'0' * 64},101,0.0"]},  # quality above 100
    {"vpdq": [{"pdq": "0" * 64}]},  # an object without quality
    {"vpdq": [f"{'0' * 64},100,{t}" for t in range(3601)]},  # more than an hour of frames
])
def test_bad_frames_refuse_the_whole_list(db: Database, bad: dict[str, Any]) -> None:
    BankService(db).create_bank("a")
    with pytest.raises(ImportRejected, match="line 2"):
        import_file(db, "a", jsonl({"md5": KNOWN.md5}, bad), fmt="jsonl")
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(MediaEntryRow)) == 0


def test_snapshot_keeps_the_video_index(tmp_path: Path) -> None:
    db = Database.connect(f"sqlite:///{tmp_path}/s.db")
    db.migrate()
    entry_id = known_bank(db)
    first = BankIndex(db, tmp_path / "index")
    assert first.load().source == "store" and first.stats()["video_frames"] == len(KNOWN.lookups)
    again = BankIndex(db, tmp_path / "index")
    assert again.load().source == "snapshot"
    assert {h.entry_id for h in again.search_video(COPY.lookups)} == {entry_id}
    db.close()


def test_api_hashes_and_matches_videos_and_refuses_bad_ones(api: Any) -> None:
    h = api.post("/v1/media/hash", content=CLIP).json()
    assert h["media_type"] == "video" and h["md5"] == KNOWN.md5 and len(h["vpdq"]) == len(KNOWN.frames)
    assert api.post("/v1/media/banks", json={"name": "videos", "vpdq_compared_pct": 70}).json()[
        "vpdq_compared_pct"] == 70
    r = api.post("/v1/media/banks/videos/entries", json={"vpdq": h["vpdq"], "md5": h["md5"], "external_id": "v1"})
    assert r.status_code == 201 and r.json()["vpdq_frames"] == len(KNOWN.frames)
    m = api.post("/v1/media/match", files={"file": ("copy.mp4", COPY_BYTES, "video/mp4")}).json()
    assert [(x["external_id"], x["hash_type"]) for x in m["matches"]] == [("v1", "vpdq")]
    assert m["hashes"]["media_type"] == "video"
    assert api.post("/v1/media/match", json={"vpdq": frames_to_json(COPY.frames)}).json()["matches"]
    assert api.post("/v1/media/match", content=OTHER_BYTES).json()["matches"] == []
    events_before = _count(api, EventRow)
    r = api.post("/v1/media/match", content=CLIP[: len(CLIP) // 3])  # truncated
    assert r.status_code == 422 and "not a video we can hash" in r.json()["error"]["message"]
    r = api.post("/v1/media/hash", content=b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    assert r.status_code == 422
    r = api.post("/v1/media/hash", content=b"x" * 10, headers={"Content-Length": str(300 * 2**20)})
    assert r.status_code == 413
    assert _count(api, EventRow) == events_before and _count(api, MediaEntryRow) == 1  # nothing stored


def _count(api: Any, row: Any) -> int:
    with api.app.state.engine.db.reading() as s:
        return int(s.scalar(select(func.count()).select_from(row)) or 0)


def test_cli_hashes_and_matches_a_video(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAAKHOND_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "known.mp4").write_bytes(CLIP)
    (tmp_path / "copy.mp4").write_bytes(COPY_BYTES)
    (tmp_path / "broken.mp4").write_bytes(CLIP[:2000])

    def run(*args: str) -> Any:
        return CliRunner().invoke(app, list(args))

    r = run("hash", "known.mp4", "--json")
    assert r.exit_code == 0
    [h] = orjson.loads(r.stdout)
    assert h["media_type"] == "video" and len(h["vpdq"]) == len(KNOWN.frames)
    (tmp_path / "list.jsonl").write_text(json.dumps({"md5": h["md5"], "vpdq": h["vpdq"]}) + "\n")
    assert run("bank", "create", "videos").exit_code == 0
    assert run("bank", "import", "videos", "list.jsonl").exit_code == 0
    r = run("match", "copy.mp4", "--json")
    assert r.exit_code == 0
    assert [m["hash_type"] for m in orjson.loads(r.stdout)["matches"]] == ["vpdq"]
    r = run("match", "broken.mp4")
    assert r.exit_code == 1 and "not a video we can hash" in r.stderr
    assert run("hash", "--protect", "known.mp4").exit_code == 1


def test_media_events_carry_frames_only_for_videos() -> None:
    frame = {"pdq": "0" * 64, "quality": 100, "timestamp": 0.0}
    base = {"id": "e", "kind": "media", "occurred_at": at(0), "account_id": "a", "media_id": "m"}
    assert parse_event({**base, "media_type": "video", "vpdq": [frame]}).vpdq[0].quality == 100
    with pytest.raises(Exception, match="media_type 'video'"):
        parse_event({**base, "media_type": "image", "vpdq": [frame]})
    with pytest.raises(Exception, match="at most 3600"):  # more than an hour of frames
        parse_event({**base, "media_type": "video", "vpdq": [frame] * 3601})
    with pytest.raises(Exception, match="pattern"):
        parse_event({**base, "media_type": "video", "vpdq": [{**frame, "pdq": "zz"}]})
    assert FrameHash(0, 100, "0" * 64, 0.0).matchable
