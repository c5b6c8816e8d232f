"""The policy a running engine uses, swappable without a restart.

    >>> active = ActivePolicy()          # the shipped defaults
    >>> policy = active.current          # read once per event; a reload never changes it mid-event
    >>> active.reload().version == policy.version
    True

``reload()`` reads the file again (and the nudge texts, fresh). If the new file is bad it raises
:class:`~waakhond.policy.rules.PolicyError` and the old rules stay active, so a typo never switches
protection off.
"""

from __future__ import annotations

import threading
from pathlib import Path

from waakhond.actions.nudges import NudgeBook, NudgeError, nudges_directory
from waakhond.policy.rules import Policy, PolicyError, PolicyProblem


class ActivePolicy:
    """Holds the current :class:`Policy` for a rules file (``None``: the shipped defaults)."""

    def __init__(self, path: Path | str | None = None, nudges_dir: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.nudges_dir = nudges_dir
        self._text: str | None = None  # set by of() for a policy that was built from text, not a file
        self._lock = threading.Lock()
        self._current = self._read()

    @classmethod
    def of(cls, policy: Policy) -> ActivePolicy:
        """Hold an already loaded policy; ``reload()`` re-reads its file (or re-checks its text)."""
        active = cls.__new__(cls)
        active.path = policy.path
        active.nudges_dir = policy.nudges.directory
        active._text = None if policy.path is not None else policy.source_text
        active._lock = threading.Lock()
        active._current = policy
        return active

    @property
    def current(self) -> Policy:
        """The policy in force. Reading a reference is atomic, so evaluation never takes the lock."""
        return self._current

    @property
    def version(self) -> str:
        return self._current.version

    def reload(self) -> Policy:
        """Load the file again and make it current; on a bad file keep the old rules and raise PolicyError."""
        with self._lock:
            policy = self._read()
            self._current = policy
            return policy

    def _read(self) -> Policy:
        # Read the nudge texts fresh too: an operator who fixes a translation expects a reload to show it.
        folder = nudges_directory(self.nudges_dir)
        try:
            book = NudgeBook.load(folder)
        except NudgeError as e:
            raise PolicyError([PolicyProblem(str(folder), 0, 0, str(e))]) from None
        if self._text is not None:
            return Policy.from_text(self._text, source=self._current.source, nudges=book)
        return Policy.load(self.path, nudges=book)
