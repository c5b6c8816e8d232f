"""Validate CyberTipline XML against the XSD of the subset waakhond emits (``cybertip-subset.xsd``).

Every report and every file description is validated before it is sent; a document that fails is never sent
and the reasons (line and message from libxml2) are shown to the person who asked for it.

    >>> validate(b"<report/>").ok
    False
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from lxml import etree

XSD_PATH = Path(__file__).with_name("cybertip-subset.xsd")


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_PATH)))


@dataclass
class Validation:
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def __str__(self) -> str:
        return "valid" if self.ok else "; ".join(self.errors)


def validate(document: bytes) -> Validation:
    """Check ``document`` (UTF-8 XML bytes); never raises for bad input."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(document, parser)
    except etree.XMLSyntaxError as exc:
        return Validation([f"not well-formed XML: {exc}"])
    xsd = schema()
    if xsd.validate(root):
        return Validation()
    return Validation([f"line {e.line}: {e.message}" for e in xsd.error_log][:20])


class InvalidReport(ValueError):
    """A document failed validation; it was not sent."""

    def __init__(self, what: str, result: Validation) -> None:
        super().__init__(f"the {what} failed validation and was not sent: {result}")
        self.result = result
