"""docs/openapi.json is the API the engine serves (regenerate with `make openapi`)."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[2]


def test_committed_openapi_matches_the_app() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    from openapi import spec

    committed = orjson.loads((ROOT / "docs" / "openapi.json").read_bytes())
    served = orjson.loads(orjson.dumps(spec()))
    assert sorted(committed["paths"]) == sorted(served["paths"]), "run `make openapi`"
    assert committed == served, "docs/openapi.json is out of date: run `make openapi`"
