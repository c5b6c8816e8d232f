"""The review console: a queue of cases, each case in context, actions with four-eyes, an audit trail.

Served by the engine under ``/console`` (``waakhond serve``; ``make run`` loads the demo world and prints a
demo login). People and roles are in :mod:`waakhond.console.auth`, the pages' data in
:mod:`waakhond.console.views`, what reviewers can do in :mod:`waakhond.console.actions`.
"""

from __future__ import annotations

from waakhond.console.routes import console_router

__all__ = ["console_router"]
