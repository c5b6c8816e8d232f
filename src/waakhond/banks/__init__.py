"""Hash banks: lists of known pictures by their hashes (never the pictures), and matching against them.

Which one to start with? :class:`BankService` creates banks and adds, disables and tombstones entries;
:func:`import_file` / :func:`export_rows` move hash lists in and out; :class:`BankIndex` is the in-memory
PDQ index a running engine searches, kept in step with the store; :func:`match_hashes` turns hashes into
bank matches with per-bank thresholds and allow-list suppression. The operator guide is
``docs/media-banks.md``.
"""

from waakhond.banks.importer import ImportRejected, ImportResult, export_lines, export_rows, import_file
from waakhond.banks.index import BankIndex
from waakhond.banks.models import Bank, BankRole, EntryStatus, HashError, HashType, parse_hash
from waakhond.banks.service import BankError, BankService

__all__ = [
    "Bank",
    "BankError",
    "BankIndex",
    "BankRole",
    "BankService",
    "EntryStatus",
    "HashError",
    "HashType",
    "ImportRejected",
    "ImportResult",
    "export_lines",
    "export_rows",
    "import_file",
    "parse_hash",
]
