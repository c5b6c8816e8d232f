"""``waakhond evaluate``: the figures an operator reads before trusting a threshold, on a small kit-shaped corpus.

The corpus is made here (ordinary chat and a few non-graphic grooming-tactic lines), in the kit's record format, so
the command runs the same code path as on the research kit.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from waakhond.cli.main import app

ORDINARY = ["did you finish the maths homework", "the match starts at six", "lol that meme", "see you at practice",
            "my cat knocked over the plant again", "which song are you singing tonight"]
TACTICS = ["how old are you", "are your parents home right now", "dont tell anyone we talk ok",
           "add me on telegram, its safer there", "i will give you 500 points if you turn on your cam",
           "you are so mature for your age", "send me a pic, just one", "come on, everyone does it",
           "i can pick you up after school", "if you dont send more i show everyone"]


#: Ordinary sentences in Dutch and German, in the shape of the kit's Tatoeba blocks (one speaker, 25 lines).
SENTENCES = {
    "nl": ["we gaan morgen naar de bioscoop", "mijn broer speelt voetbal", "het regent al de hele dag",
           "heb jij de sleutels gezien", "de trein was weer te laat"],
    "de": ["wir gehen morgen ins kino", "mein bruder spielt fussball", "es regnet schon den ganzen tag",
           "hast du die schlussel gesehen", "der zug war wieder zu spat"],
}


def _kit(tmp_path: Path, sentences: bool = False) -> Path:
    kit = tmp_path / "kit"
    kit.mkdir()
    if sentences:
        rows = [{"conversation_id": f"tatoeba:{lang}:{b}", "source": "tatoeba_opus_mt_testsets", "label": 0,
                 "lang": lang, "msg_idx": i, "text": words[(b + i) % len(words)]}
                for lang, words in SENTENCES.items() for b in range(80) for i in range(25)]
        with gzip.open(kit / "tatoeba.jsonl.gz", "wb") as fh:
            fh.write(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    chat = []
    for c in range(60):
        for i in range(8):
            chat.append({"conversation_id": f"cc{c}", "source": "chitchat_byu", "label": 0, "author_id": f"a{i % 2}",
                         "msg_idx": i, "text": ORDINARY[(c + i) % len(ORDINARY)]})
    pj = []
    for c in range(12):
        for i, text in enumerate(TACTICS):
            pj.append({"conversation_id": f"pj{c}", "source": "pj", "label": 1, "author_role": "predator",
                       "msg_idx": i, "text": text})
            pj.append({"conversation_id": f"pj{c}", "source": "pj", "label": 1, "author_role": "decoy",
                       "msg_idx": i, "text": "im 13" if i == 0 else ORDINARY[i % len(ORDINARY)]})
    for name, rows in (("chitchat", chat), ("pj", pj)):
        with gzip.open(kit / f"{name}.jsonl.gz", "wb") as fh:
            fh.write(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return kit


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["evaluate", *args])
    return result.exit_code, result.output


@pytest.fixture(autouse=True)
def _rules_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAAKHOND_LEARNED", "0")  # fast; the learned tier takes the same path


def test_long_adds_long_ordinary_chats_as_benign_and_reports_them_per_source(tmp_path: Path) -> None:
    kit = _kit(tmp_path)
    code, plain_out = _run("--kit", str(kit), "--json")
    assert code == 0, plain_out
    plain = orjson.loads(plain_out)
    code, long_out = _run("--kit", str(kit), "--long", "--json")
    assert code == 0, long_out
    with_long = orjson.loads(long_out)
    assert "chitchat_long" not in plain["by_source"]
    assert with_long["by_source"]["chitchat_long"]["n"] >= 2
    assert with_long["positives"] == plain["positives"] == 12
    assert with_long["n"] == plain["n"] + with_long["by_source"]["chitchat_long"]["n"]
    assert with_long["by_source"]["pj"]["flagged"] > 0.5  # the tactic-dense chats are found ...
    assert with_long["by_source"]["chitchat_long"]["flagged"] == 0.0  # ... the long ordinary ones are not


def test_long_keeps_to_the_split(tmp_path: Path) -> None:
    kit = _kit(tmp_path)
    code, out = _run("--kit", str(kit), "--split", "test", "--long", "--json")
    assert code == 0, out
    rep = orjson.loads(out)
    code, out_all = _run("--kit", str(kit), "--long", "--json")
    everywhere = orjson.loads(out_all)["by_source"]["chitchat_long"]["n"]
    assert rep["by_source"].get("chitchat_long", {"n": 0})["n"] < everywhere


def test_table_shows_flag_rate_per_source(tmp_path: Path) -> None:
    code, out = _run("--kit", str(_kit(tmp_path)), "--long")
    assert code == 0, out
    assert "flagged, per source" in out
    assert "chitchat_long" in out and "precision" in out


@pytest.mark.parametrize("flag", ["--long", "--long-nl-de"])
def test_long_chats_without_kit_are_a_clear_error(tmp_path: Path, flag: str) -> None:
    data = tmp_path / "labelled.jsonl"
    data.write_bytes(orjson.dumps({"id": "x", "label": 0, "messages": [{"text": "hi"}]}) + b"\n")
    code, out = _run(str(data), flag)
    assert code != 0
    assert f"{flag} needs --kit" in out


def test_long_nl_de_adds_long_dutch_and_german_chats_of_two_speakers(tmp_path: Path) -> None:
    kit = _kit(tmp_path, sentences=True)
    code, out = _run("--kit", str(kit), "--long-nl-de", "--json")
    assert code == 0, out
    rep = orjson.loads(out)
    code, plain_out = _run("--kit", str(kit), "--json")
    plain = orjson.loads(plain_out)
    added = {k: v["n"] for k, v in rep["by_source"].items() if k.startswith("sentences_long_")}
    assert set(added) == {"sentences_long_nl", "sentences_long_de"}
    assert rep["n"] == plain["n"] + sum(added.values())
    assert rep["positives"] == plain["positives"]
    assert rep["by_source"]["sentences_long_nl"]["flagged"] == 0.0


def test_long_sentences_keep_to_their_split_and_alternate_speakers() -> None:
    from waakhond.training.kit import Conversation, long_sentences, split_of

    convs = [Conversation(f"tatoeba:{lang}:{b}", "tatoeba_opus_mt_testsets", lang, 0,
                          [{"text": f"{lang} zin {b} {i}", "sender": "p0", "role": "benign"} for i in range(25)])
             for lang in ("nl", "de", "en") for b in range(120)]
    long = long_sentences(convs, seed=7)
    assert long and {c.lang for c in long} == {"nl", "de"}  # English has its chit-chat for this
    for c in long:
        assert 100 <= len(c.messages) <= 400 and c.label == 0
        assert [m["sender"] for m in c.messages[:4]] == ["p0", "p1", "p0", "p1"]
        # every line comes from a conversation of the chat's own language and split
        sources = {m["text"].split()[2] for m in c.messages}
        assert all(split_of(f"tatoeba:{c.lang}:{b}", 7) == c.split for b in sources)
        assert all(m["text"].startswith(c.lang) for m in c.messages)
    assert len({c.id for c in long}) == len(long)
    assert long_sentences(convs, seed=7) == long  # seeded
