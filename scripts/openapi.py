"""Write the engine's OpenAPI document to docs/openapi.json (`make openapi`)."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson

from waakhond.api.app import create_app
from waakhond.pipeline import Engine
from waakhond.store.database import Database


def spec() -> dict:
    return create_app(Engine(Database.connect("sqlite://"))).openapi()


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/openapi.json")
    out.write_bytes(orjson.dumps(spec(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
    print(f"wrote {out}")
