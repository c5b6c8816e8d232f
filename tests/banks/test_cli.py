"""waakhond hash / match / bank: the protect flow (hashes only), imports, exports, clear errors."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from waakhond.cli.main import app
from waakhond.detectors.media.samples import synthetic_image


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WAAKHOND_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.chdir(tmp_path)
    synthetic_image(3).save(tmp_path / "child.jpg")
    synthetic_image(4).save(tmp_path / "other.png")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0garbage")
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_protect_flow_and_match(cli: Path) -> None:
    code, out, _ = run("hash", "--protect", "child.jpg")
    assert code == 0
    line = orjson.loads(out.strip())
    assert set(line) == {"pdq", "md5", "sha256", "category", "source"}  # hashes and labels, no picture
    (cli / "protect.jsonl").write_text(out)
    assert run("bank", "create", "family-photos", "--role", "protected")[0] == 0
    code, out, _ = run("bank", "import", "family-photos", "protect.jsonl", "--json")
    assert code == 0 and orjson.loads(out)["created"] == 1
    code, out, _ = run("bank", "import", "family-photos", "protect.jsonl", "--json")
    assert orjson.loads(out)["created"] == 0  # idempotent
    code, out, _ = run("match", "child.jpg", "--json")
    got = orjson.loads(out)
    assert code == 0 and got["matches"][0]["bank"] == "family-photos"
    code, out, _ = run("match", "other.png", "--json")
    assert orjson.loads(out)["matches"] == []
    code, out, _ = run("bank", "list", "--json")
    assert [(b["name"], b["entries"]) for b in orjson.loads(out)] == [("family-photos", 1)]
    assert run("bank", "disable", "family-photos")[0] == 0
    assert orjson.loads(run("match", "child.jpg", "--json")[1])["matches"] == []
    assert run("bank", "enable", "family-photos")[0] == 0
    code, out, _ = run("bank", "export", "family-photos", "--format", "jsonl")
    assert orjson.loads(out.strip())["pdq"] == line["pdq"]


def test_clear_errors(cli: Path) -> None:
    code, _, err = run("hash", "broken.jpg")
    assert code == 1 and "broken.jpg: not a picture we can hash (corrupt)" in err
    code, _, err = run("hash", "missing.jpg")
    assert code != 0
    run("bank", "create", "b")
    (cli / "list.txt").write_text("0" * 32 + "\nnot-a-hash\n" + "1" * 64 + "\n")
    code, _, err = run("bank", "import", "b", "list.txt")
    assert code == 1 and "nothing imported" in err and "line 2" in err and "line 3" in err
    code, out, _ = run("bank", "list", "--json")
    assert orjson.loads(out)[0]["entries"] == 0
    code, _, err = run("bank", "import", "nope", "list.txt")
    assert code == 1 and "no bank 'nope'" in err
    code, _, err = run("bank", "create", "b")
    assert code == 1 and "exists already" in err
    code, _, err = run("bank", "entry", "tombstone", "99")
    assert code == 1 and "no entry 99" in err
