"""The command line: the classify contract other tools depend on, scan, keys, policy check, demo."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from waakhond.cli.classify import run
from waakhond.cli.main import app
from waakhond.detectors.text.labels import LABELS

WAAKHOND = str(Path(sys.executable).parent / "waakhond")


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WAAKHOND_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    return tmp_path


def classify(kind: str, lines: list[Any]) -> tuple[list[dict[str, Any]], int]:
    data = b"".join((orjson.dumps(x) if not isinstance(x, bytes) else x) + b"\n" for x in lines)
    out = io.BytesIO()
    errors = run(kind, io.BytesIO(data), out)
    return [orjson.loads(line) for line in out.getvalue().splitlines()], errors


def test_classify_message_contract() -> None:
    rows, errors = classify("message", [
        {"id": "1", "text": "how old r u?"},
        {"id": "2", "text": "great cover, you sing so well!", "lang": "en"},
        {"id": "3", "text": "add me on t e l e g r a m"},
    ])
    assert errors == 0
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    for r in rows:
        assert set(r) == {"id", "tactics", "scores", "risk"}
        assert set(r["scores"]) == set(LABELS)
        assert 0.0 <= r["risk"] <= 1.0
    assert rows[0]["tactics"] == ["age_probe"]
    assert rows[1]["tactics"] == [] and rows[1]["risk"] < rows[0]["risk"]
    assert rows[2]["tactics"] == ["off_platform"]


def test_classify_conversation_contract() -> None:
    grooming = {"id": "g", "participants": {"x": {"age": 35}, "k": {"age": 12}}, "messages": [
        {"text": "hey nice stream", "sender": "x"}, {"text": "thanks", "sender": "k"},
        {"text": "how old are you?", "sender": "x"}, {"text": "12", "sender": "k"},
        {"text": "are your parents home?", "sender": "x"},
        {"text": "don't tell anyone we talk ok", "sender": "x"},
        {"text": "add me on snap", "sender": "x"}, {"text": "send me a pic of you", "sender": "x"},
        {"text": "ok", "sender": "k"}, {"text": "did you do your homework", "sender": "x"},
    ]}
    benign = {"id": "b", "messages": [{"text": "did you finish the math homework?"}, {"text": "yes it was hard"},
                                      {"text": "see you at practice"}]}
    rows, errors = classify("conversation", [grooming, benign])
    assert errors == 0
    g, b = rows
    assert set(g) == {"id", "risk", "flagged", "alert_at", "tactics"}
    assert g["flagged"] and isinstance(g["alert_at"], int) and g["alert_at"] < len(grooming["messages"]) - 1
    assert {"age_probe", "risk_check", "secrecy"} <= set(g["tactics"])
    assert not b["flagged"] and b["alert_at"] is None and b["risk"] < g["risk"]


def test_classify_keeps_going_past_bad_lines_and_keeps_alignment() -> None:
    rows, errors = classify("message", [{"id": "1", "text": "hi"}, b"{oops", {"id": 2, "text": "x"},
                                        {"id": "4", "text": None}, {"id": "5", "text": "hello"}])
    assert errors == 3
    assert [r.get("id") for r in rows] == ["1", None, None, "4", "5"]
    assert "error" in rows[1] and "error" in rows[3] and "tactics" in rows[4]


def test_classify_keeps_order_and_alignment_across_chunks() -> None:
    # lines are read by the learned tier in chunks: a bad line in the middle of the third chunk must still get
    # its error in place, and every other line its own answer
    from waakhond.cli.classify import CHUNK

    lines: list[Any] = [{"id": str(i), "text": "are your parents home" if i % 7 == 0 else f"gg {i}"}
                        for i in range(CHUNK * 2 + 50)]
    lines.insert(CHUNK * 2 + 10, b"{broken")
    rows, errors = classify("message", lines)
    assert errors == 1 and len(rows) == len(lines)
    assert "error" in rows[CHUNK * 2 + 10]
    ids = [r["id"] for r in rows if "error" not in r]
    assert ids == [str(i) for i in range(CHUNK * 2 + 50)]
    assert all(("risk_check" in r["tactics"]) == (int(r["id"]) % 7 == 0) for r in rows if "error" not in r)


def test_classify_handles_huge_and_long_conversations() -> None:
    huge = {"id": "h", "messages": [{"text": "word " * 8_000}]}  # one message of 40,000 characters
    long = {"id": "l", "messages": [{"text": f"line {i} about the game", "sender": "a"} for i in range(500)]}
    rows, errors = classify("conversation", [huge, long])
    assert errors == 0 and [r["id"] for r in rows] == ["h", "l"]
    assert not rows[1]["flagged"]


def test_classify_cli_streams_stdin(tmp_path: Path) -> None:
    # a real process: the installed console script, stdin to stdout
    lines = b"".join(orjson.dumps({"id": str(i), "text": "how old are you"}) + b"\n" for i in range(2000))
    p = subprocess.run([WAAKHOND, "classify", "--kind", "message", "-"], input=lines, capture_output=True,
                       timeout=120, check=True)
    out = p.stdout.splitlines()
    assert len(out) == 2000 and orjson.loads(out[-1])["id"] == "1999"


def test_classify_rejects_unknown_kind() -> None:
    r = CliRunner().invoke(app, ["classify", "--kind", "video", "-"], input="")
    assert r.exit_code == 2


def test_apikey_create_and_list_json(cli_env: Path) -> None:
    r = CliRunner().invoke(app, ["apikey", "create", "backend", "--json"])
    assert r.exit_code == 0, r.output
    key = orjson.loads(r.stdout)
    assert key["key"].startswith("wh_")
    listed = orjson.loads(CliRunner().invoke(app, ["apikey", "list", "--json"]).stdout)
    assert [k["name"] for k in listed] == ["backend"] and key["key"] not in str(listed)
    assert CliRunner().invoke(app, ["apikey", "revoke", str(key["id"])]).exit_code == 0
    assert CliRunner().invoke(app, ["apikey", "revoke", str(key["id"])]).exit_code == 1


def test_scan_summarises_and_reports_bad_lines(cli_env: Path) -> None:
    path = cli_env / "events.jsonl"
    from waakhond.demo.world import demo_raw

    raw = demo_raw()
    lines = [orjson.dumps(e) for e in raw]
    lines.insert(3, b'{"id": "bad", "kind": "message"}')
    lines.insert(5, b"not json")
    path.write_bytes(b"\n".join(lines) + b"\n")
    r = CliRunner().invoke(app, ["scan", str(path), "--json"])
    assert r.exit_code == 1  # bad lines make the exit status non-zero …
    summary = orjson.loads(r.stdout)
    assert summary["events"] == len(raw)  # … but every good event was processed
    assert [e["line"] for e in summary["errors"]] == [4, 6]
    assert "dm:ghost_rider:lotte" in summary["conversations_alerted"]
    # scanning again is idempotent: same decisions, nothing new
    again = orjson.loads(CliRunner().invoke(app, ["scan", str(path), "--json"]).stdout)
    assert again["verdicts"] == summary["verdicts"]


def test_policy_check(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    rule = 'version: 1\nrules:\n  - name: r\n    when: tactic("{}") >= 0.5\n    then: [hold_message]\n'
    good.write_text(rule.format("sextortion"))
    assert CliRunner().invoke(app, ["policy", "check", str(good)]).exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(rule.format("sextortoin"))
    r = CliRunner().invoke(app, ["policy", "check", str(bad), "--json"])
    assert r.exit_code == 1 and "sextortion" in orjson.loads(r.stdout)["error"]


def test_demo_json(cli_env: Path) -> None:
    r = CliRunner().invoke(app, ["demo", "--json"])
    assert r.exit_code == 0, r.output
    summary = orjson.loads(r.stdout)
    flagged = {c["conversation_id"] for c in summary["conversations"] if c["alerted"]}
    assert "dm:ghost_rider:lotte" in flagged and "dm:noor:sam" not in flagged


def test_serve_starts_and_answers(cli_env: Path) -> None:
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([WAAKHOND, "serve", "--port", str(port), "--log-level", "warning"],
                            env={**os.environ}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert orjson.loads(r.read())["status"] == "ok"
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    raise AssertionError("server did not start: " + proc.communicate()[1].decode()) from None
                time.sleep(0.2)
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)
