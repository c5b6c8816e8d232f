"""known_media and photo_reuse through the whole pipeline: banks → index → detector → policy → decision."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from tests.conftest import T0, at

from waakhond.banks import BankService, import_file
from waakhond.banks.flood import FloodConfig
from waakhond.banks.index import BankIndex
from waakhond.detectors.media.hashing import hash_image
from waakhond.detectors.media.known import KnownMediaDetector
from waakhond.detectors.media.samples import synthetic_image
from waakhond.events import parse_event
from waakhond.pipeline import Engine, default_detectors
from waakhond.store.database import Database
from waakhond.store.schema import CaseRow, MediaEntryRow


def _png(seed: int) -> bytes:
    buf = io.BytesIO()
    synthetic_image(seed).save(buf, "PNG")
    return buf.getvalue()


def _flip(pdq: str, bits: int) -> str:
    v = int(pdq, 16)
    for b in range(bits):
        v ^= 1 << (7 + 13 * b)
    return f"{v:064x}"


def media(eid: str, account: str, *, pdq: str | None = None, md5: str | None = None, minutes: float = 0,
          **kw: Any) -> Any:
    e: dict[str, Any] = {"id": eid, "kind": "media", "occurred_at": at(minutes), "account_id": account,
                         "media_id": f"m-{eid}", "media_type": "image"}
    if pdq:
        e["pdq"] = pdq
        e["pdq_quality"] = 100
    if md5:
        e["md5"] = md5
    e.update(kw)
    return parse_event(e)


def account_event(eid: str, account: str, *, pdq: str | None = None, md5: str | None = None,
                  minutes: float = 0) -> Any:
    photo = {k: v for k, v in (("pdq", pdq), ("md5", md5)) if v}
    return parse_event({"id": eid, "kind": "account", "occurred_at": at(minutes), "account_id": account,
                        "birth_year": 1990, "profile_photo": photo})


@pytest.fixture
def picture() -> Any:
    return hash_image(_png(7))


def test_default_pipeline_runs_the_bank_detectors() -> None:
    names = [d.name for d in default_detectors()]
    assert "known_media" in names and "photo_reuse" in names


def test_upload_of_a_banked_picture_is_blocked_with_an_urgent_case_and_a_report(any_db: Database, picture: Any) -> None:
    svc = BankService(any_db)
    svc.create_bank("test-hotline", category="csam")
    entry_id, _ = svc.add_entry("test-hotline", {"pdq": picture.pdq}, source="test-list", added_by="tests")
    engine = Engine(any_db)
    # the same picture re-encoded elsewhere: a few bits away
    [d] = engine.process([media("u1", "uploader", pdq=_flip(picture.pdq, 6))])
    assert d.verdict.value == "block_delivery"  # stronger than hold: the media is never delivered
    types = {a.type.value: a for a in d.actions}
    assert types["queue_case"].params["priority"] == "urgent"
    assert "prepare_report" in types
    [sig] = [s for s in d.signals if s.name == "known_media"]
    assert sig.score >= 0.9
    assert f"entry {entry_id}" in sig.explanation and "'test-hotline'" in sig.explanation
    assert "PDQ distance 6" in sig.explanation and "csam" in sig.explanation
    assert sig.related["matches"][0]["entry_id"] == entry_id
    assert "known_abuse_media" in {r.rule for r in d.rules}
    with any_db.reading() as s:
        case = s.scalars(select(CaseRow)).one()
        assert case.priority == "urgent" and case.account_id == "uploader"
    # an unrelated picture: nothing
    [d2] = engine.process([media("u2", "uploader", pdq=hash_image(_png(8)).pdq)])
    assert not [s for s in d2.signals if s.name.startswith("known_media")]
    assert d2.verdict.value == "allow"


def test_exact_md5_disabled_bank_thresholds_and_tombstones(db: Database, picture: Any) -> None:
    svc = BankService(db)
    svc.create_bank("strict", pdq_threshold=4)
    e1, _ = svc.add_entry("strict", {"pdq": picture.pdq, "md5": picture.md5})
    engine = Engine(db)
    [d] = engine.process([media("a", "u", md5=picture.md5)])
    assert any(s.name == "known_media" and s.score == 1.0 and "exact md5" in s.explanation for s in d.signals)
    [d] = engine.process([media("b", "u", pdq=_flip(picture.pdq, 6))])  # beyond this bank's threshold 4
    assert not any(s.name == "known_media" for s in d.signals)
    [d] = engine.process([media("c", "u", pdq=_flip(picture.pdq, 3))])
    assert any(s.name == "known_media" for s in d.signals)
    svc.update_bank("strict", enabled=False)
    [d] = engine.process([media("d", "u", pdq=picture.pdq, md5=picture.md5)])
    assert not any(s.name == "known_media" for s in d.signals)
    svc.update_bank("strict", enabled=True)
    svc.set_entry_status(e1, "tombstoned")
    [d] = engine.process([media("e", "u", pdq=picture.pdq, md5=picture.md5)])
    assert not any(s.name == "known_media" for s in d.signals)


def test_pdq_lookups_in_the_event_find_a_mirrored_copy(db: Database, picture: Any) -> None:
    """An event may carry the upload's other PDQ hashes (``hash_image(...).lookups``): a mirrored copy's
    own PDQ is far from the banked one, its dihedral variant is not."""
    from PIL import ImageOps

    BankService(db).create_bank("b")
    entry_id, _ = BankService(db).add_entry("b", {"pdq": picture.pdq})
    buf = io.BytesIO()
    ImageOps.mirror(synthetic_image(7)).save(buf, "PNG")
    copy = hash_image(buf.getvalue())
    engine = Engine(db)
    [d] = engine.process([media("a", "u", pdq=copy.pdq)])
    assert not any(s.name == "known_media" for s in d.signals)
    [d] = engine.process([media("b", "u", pdq=copy.pdq, pdq_lookups=list(copy.lookups))])
    [sig] = [s for s in d.signals if s.name == "known_media"]
    assert sig.related["matches"][0]["entry_id"] == entry_id


def test_low_quality_pdq_is_not_matched(db: Database, picture: Any) -> None:
    BankService(db).create_bank("b")
    BankService(db).add_entry("b", {"pdq": picture.pdq})
    [d] = Engine(db).process([media("a", "u", pdq=picture.pdq, pdq_quality=20)])
    assert not d.signals


def test_allow_list_suppresses_matches_of_other_banks(db: Database, picture: Any) -> None:
    svc = BankService(db)
    svc.create_bank("hotline")
    svc.create_bank("memes", role="allow")
    svc.add_entry("hotline", {"pdq": picture.pdq})
    svc.add_entry("memes", {"pdq": _flip(picture.pdq, 2)}, category="meme")
    [d] = Engine(db).process([media("a", "u", pdq=picture.pdq)])
    assert d.verdict.value == "allow"
    assert not any(s.name == "known_media" for s in d.signals)
    [sup] = [s for s in d.signals if s.name == "known_media_suppressed"]
    assert "allow-list 'memes'" in sup.explanation and sup.score == 0.0


def test_flood_control_quarantines_an_entry_and_opens_one_case(db: Database, picture: Any) -> None:
    svc = BankService(db)
    svc.create_bank("hotline")
    entry_id, _ = svc.add_entry("hotline", {"pdq": picture.pdq})
    flood = FloodConfig(window=timedelta(hours=1), min_matches=5, factor=10.0)
    detectors = [d if not isinstance(d, KnownMediaDetector) else KnownMediaDetector(flood)
                 for d in default_detectors()]
    engine = Engine(db, detectors=detectors)
    # a normal rate: two matches an hour for a day
    minute = 0.0
    for i in range(48):
        [d] = engine.process([media(f"slow{i}", f"u{i}", pdq=picture.pdq, minutes=minute)])
        assert d.verdict.value == "block_delivery"
        minute += 30
    with db.reading() as s:
        row = s.get(MediaEntryRow, entry_id)
        assert row is not None and row.quarantined_at is None and row.match_count == 48
        assert 1.0 < row.flood_baseline < 3.0
    # then a burst: 30 matches in a few minutes (a colliding meme goes viral)
    verdicts = []
    for i in range(30):
        [d] = engine.process([media(f"burst{i}", f"v{i}", pdq=picture.pdq, minutes=minute + i * 0.1)])
        verdicts.append(d)
    quarantined = [d for d in verdicts if any(s.name == "known_media_quarantined" for s in d.signals)]
    assert quarantined, "the burst quarantines the entry"
    first = verdicts.index(quarantined[0])
    assert 5 <= first < 30
    for d in quarantined:
        assert d.verdict.value == "hold_message"  # held, not blocked
        assert not any(a.type.value in ("queue_case", "prepare_report") for a in d.actions)
        assert not any(s.name == "known_media" for s in d.signals)
        [sig] = [s for s in d.signals if s.name == "known_media_quarantined"]
        assert sig.related["quarantine_case_ids"]
    with db.reading() as s:
        cases = s.scalars(select(CaseRow).where(CaseRow.subject_key == f"media_entry:{entry_id}")).all()
        assert len(cases) == 1 and "flood control" in cases[0].reason  # one case for the entry, not per upload
        q_at = T0 + timedelta(minutes=minute + first * 0.1)
        later = s.scalars(select(CaseRow).where(CaseRow.created_at >= q_at)).all()
        assert [c.subject_key for c in later] == [f"media_entry:{entry_id}"]  # no case per upload after it
    # a reviewer releases it: matches act normally again
    svc.release_quarantine(entry_id)
    [d] = engine.process([media("after", "w", pdq=picture.pdq, minutes=minute + 5)])
    assert d.verdict.value == "block_delivery"


def test_photo_reuse_names_the_other_account_and_flags_a_banned_one(db: Database, picture: Any) -> None:
    engine = Engine(db)
    engine.process([account_event("a1", "original", pdq=picture.pdq)])
    [d] = engine.process([account_event("a2", "copycat", pdq=_flip(picture.pdq, 5), minutes=1)])
    [sig] = [s for s in d.signals if s.name == "photo_reuse"]
    assert sig.related["other_account"] == "original" and sig.score == 0.6
    assert "account original" in sig.explanation
    assert not any(a.type.value == "queue_case" for a in d.actions)  # ordinary reuse: shadow rule only
    # the original account is banned; a new account comes back with its photo
    engine.process([parse_event({"id": "ban1", "kind": "moderation", "occurred_at": at(2),
                                 "actor_id": "mod", "actor_role": "platform_moderator", "action": "ban",
                                 "target_id": "original"})])
    [d] = engine.process([account_event("a3", "newname", pdq=_flip(picture.pdq, 3), minutes=3)])
    [sig] = [s for s in d.signals if s.name == "photo_reuse"]
    assert sig.score == 0.9 and sig.related["banned_accounts"] == ["original"]
    assert any(a.type.value == "queue_case" and a.rule == "protected_or_banned_photo_reuse" for a in d.actions)
    # the same account sending its profile again does not match itself
    [d] = engine.process([account_event("a4", "original", pdq=picture.pdq, minutes=4)])
    assert {s.related.get("other_account") for s in d.signals if s.name == "photo_reuse"} <= {"copycat", "newname"}


def test_protected_photo_registered_by_hash_only(db: Database, picture: Any) -> None:
    svc = BankService(db)
    svc.create_bank("family-protect", role="protected")
    # the family computed the hashes locally (`waakhond hash --protect`); only hashes reach the engine
    entry_id, _ = svc.add_entry("family-protect", {"pdq": picture.pdq, "md5": picture.md5}, added_by="family")
    [d] = Engine(db).process([account_event("s1", "stranger", pdq=_flip(picture.pdq, 4))])
    [sig] = [s for s in d.signals if s.name == "photo_reuse"]
    assert sig.score == 0.95 and sig.related["protected"][0]["entry_id"] == entry_id
    case = [a for a in d.actions if a.type.value == "queue_case"]
    assert case and case[0].params["priority"] == "high"
    # a protected photo is not "known abuse media": an upload of it is not blocked as such
    [d] = Engine(db).process([media("up", "x", pdq=picture.pdq)])
    assert not any(s.name == "known_media" for s in d.signals)


def test_profile_photo_media_event_is_recorded_and_matched(db: Database, picture: Any) -> None:
    engine = Engine(db)
    engine.process([media("p1", "first", pdq=picture.pdq, purpose="profile_photo")])
    [d] = engine.process([media("p2", "second", pdq=picture.pdq, purpose="profile_photo", minutes=1)])
    assert [s.related["other_account"] for s in d.signals if s.name == "photo_reuse"] == ["first"]


def test_index_follows_changes_made_by_another_process(tmp_path: Any, picture: Any) -> None:
    """A CLI import (another process, another Database object) is picked up by a running engine."""
    url = f"sqlite:///{tmp_path}/shared.db"
    engine = Engine(Database.connect(url))
    [d] = engine.process([media("x1", "u", pdq=picture.pdq)])
    assert not d.signals
    other = Database.connect(url)
    BankService(other).create_bank("late")
    import_file(other, "late", io.BytesIO(f"pdq:{picture.pdq}\n".encode()), fmt="txt")
    [d] = engine.process([media("x2", "u", pdq=picture.pdq)])
    assert any(s.name == "known_media" for s in d.signals)
    idx = BankIndex.shared(engine.db)
    assert idx.size() == 1
