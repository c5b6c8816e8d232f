"""Contact gating: may account A contact, message, follow, gift, join the stream of, or be suggested to B?

Safety by design: much harm is prevented by not letting a stranger reach a child at all. The answer comes
from the accounts' ages, their relation (follows, friendship, a two-way conversation, shared groups), A's
risk, and the platform's defaults in the ``gating:`` section of the policy file (see ``docs/policy.md``).

:func:`may_contact` is a pure function of small value types, so it answers in microseconds and is easy to
test; :func:`load_gate_facts` reads the values for two accounts in two indexed queries, and
:class:`GateFactsCache` keeps them for a moment for platforms that ask on every keystroke.

    >>> kid = Party("k", age=12, is_minor=True)
    >>> adult = Party("a", age=34, is_adult=True)
    >>> answer = may_contact(adult, kid, Relation(), "message", GatingConfig())
    >>> answer.allowed, answer.rule
    (False, 'adult_to_minor_message')
    >>> answer.reason[:55]
    'adults cannot message a minor they are not connected to'
    >>> may_contact(adult, kid, Relation(b_follows_a=True), "message", GatingConfig()).allowed
    True
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from waakhond.memory.ages import age_of

#: What a platform can ask about.
GATE_ACTIONS: tuple[str, ...] = ("contact", "message", "follow", "gift", "join_stream", "suggest")
#: What an adult needs before reaching a minor, weakest first.
REQUIREMENTS: tuple[str, ...] = ("anyone", "connected", "mutual", "friends", "nobody")
_MEANING = {
    "connected": "connected: she follows them, they are friends, share a group or have talked both ways",
    "mutual": "they must follow each other or be friends",
    "friends": "they must be friends",
    "nobody": "this is switched off for minors",
}
_VERB = {
    "contact": "send a minor a friend or message request",
    "message": "message a minor",
    "follow": "follow a minor",
    "gift": "send gifts to a minor",
    "join_stream": "join a minor's stream",
    "suggest": "be suggested a minor",
}
#: Shipped platform defaults (the ``gating:`` section may change every one of them).
DEFAULT_ADULT_TO_MINOR: Mapping[str, str] = {
    "contact": "connected",
    "message": "connected",
    "follow": "anyone",
    "gift": "connected",
    "join_stream": "anyone",
    "suggest": "connected",
}
DEFAULT_MIN_RISK = 0.5
#: A restricted account (``restrict_contact``) may still reach people it is connected to, but not new ones.
RESTRICTED_ACTIONS = frozenset({"contact", "message", "follow", "gift"})


@dataclass(frozen=True)
class GatingConfig:
    """The platform's gating defaults, read from the ``gating:`` section of the policy file.

    ``mode``: ``enforce`` or ``shadow`` (answers always allow and say what would have been refused);
    ``unknown_age_as``: how to treat an actor without an age (``adult``, the protective default, or ``minor``);
    ``adult_to_minor``: per action, what an adult needs to reach a minor (one of :data:`REQUIREMENTS`);
    ``risky_min_risk`` / ``risky_actions``: an account with at least this risk (or linked to a suspended
    account) cannot do these actions towards minors at all.
    """

    mode: str = "enforce"
    unknown_age_as: str = "adult"
    adult_to_minor: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_ADULT_TO_MINOR))
    risky_min_risk: float = DEFAULT_MIN_RISK
    risky_actions: frozenset[str] = frozenset(GATE_ACTIONS)

    @property
    def shadow(self) -> bool:
        return self.mode == "shadow"

    def describe(self) -> dict[str, Any]:
        return {"mode": self.mode, "unknown_age_as": self.unknown_age_as, "adult_to_minor": dict(self.adult_to_minor),
                "risky_actor": {"min_risk": self.risky_min_risk, "actions": sorted(self.risky_actions)}}


@dataclass(frozen=True, slots=True)
class Party:
    """What gating needs to know about one account."""

    account_id: str
    age: int | None = None
    is_minor: bool = False
    is_adult: bool = False
    risk: float = 0.0
    suspended: bool = False
    restricted: bool = False
    linked_to_suspended: bool = False
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Relation:
    """The relation between actor A and target B, in both directions."""

    a_follows_b: bool = False
    b_follows_a: bool = False
    friends: bool = False
    a_blocked_b: bool = False
    b_blocked_a: bool = False
    a_messages: int = 0
    b_messages: int = 0
    shared_groups: int = 0

    @property
    def mutual(self) -> bool:
        return self.friends or (self.a_follows_b and self.b_follows_a)

    @property
    def connected(self) -> bool:
        """B follows A, they are friends, share a group, or have written to each other."""
        return (self.mutual or self.b_follows_a or self.shared_groups > 0
                or (self.a_messages > 0 and self.b_messages > 0))

    def meets(self, requirement: str) -> bool:
        if requirement == "anyone":
            return True
        if requirement == "connected":
            return self.connected
        if requirement == "mutual":
            return self.mutual
        if requirement == "friends":
            return self.friends
        return False


@dataclass(frozen=True, slots=True)
class GateAnswer:
    """The answer: ``allowed``, a one-line ``reason``, the ``rule`` that decided, whether it was ``shadow``
    (the rule would have refused but the platform is measuring), and a ``nudge`` topic to show the target
    when the contact is allowed but worth a safety message."""

    allowed: bool
    reason: str
    rule: str
    shadow: bool = False
    nudge: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"allowed": self.allowed, "reason": self.reason, "rule": self.rule, "shadow": self.shadow,
                "nudge": self.nudge}


def may_contact(actor: Party, target: Party, relation: Relation, action: str, config: GatingConfig) -> GateAnswer:
    """May ``actor`` do ``action`` (one of :data:`GATE_ACTIONS`) towards ``target``? Pure; microseconds.

    Blocks and suspensions are always enforced (they are facts, not platform defaults); every other refusal
    becomes an allowed answer with ``shadow=True`` when the gating section is in shadow mode.
    """
    if action not in GATE_ACTIONS:
        raise ValueError(f"unknown action {action!r}; expected one of {', '.join(GATE_ACTIONS)}")
    if actor.account_id == target.account_id:
        return GateAnswer(True, "an account may always reach itself", "same_account")
    if relation.b_blocked_a:
        return GateAnswer(False, "the target has blocked this account", "blocked")
    if actor.suspended:
        return GateAnswer(False, "this account is suspended pending review", "actor_suspended")

    adult_like = actor.is_adult or (not actor.is_minor and config.unknown_age_as == "adult")
    refusal: tuple[str, str] | None = None
    if target.is_minor:
        risky = actor.risk >= config.risky_min_risk or actor.linked_to_suspended
        if risky and action in config.risky_actions and not (actor.is_minor and relation.friends):
            why = (f"risk {actor.risk:.2f} ≥ {config.risky_min_risk:g}" if actor.risk >= config.risky_min_risk
                   else "linked to a suspended account")
            refusal = (f"accounts showing risk signals cannot {_VERB[action]} ({why})", "risky_actor_to_minor")
        elif adult_like:
            need = config.adult_to_minor.get(action, "anyone")
            if not relation.meets(need):
                who = "adults" if actor.is_adult else "accounts without a known age"
                refusal = (f"{who} cannot {_VERB[action]} they are not connected to ({_MEANING[need]})",
                           f"adult_to_minor_{action}")
    if refusal is None and actor.restricted and action in RESTRICTED_ACTIONS and not relation.connected:
        refusal = ("this account's new contacts are restricted for now", "contact_restricted")
    if refusal is not None:
        reason, rule = refusal
        if config.shadow:
            return GateAnswer(True, f"shadow: would refuse — {reason}", rule, shadow=True,
                              nudge="risky_contact" if rule == "risky_actor_to_minor" else None)
        return GateAnswer(False, reason, rule)
    nudge = None
    if target.is_minor and adult_like and not relation.connected and action in ("contact", "message", "follow"):
        nudge = "stranger_contact"
    return GateAnswer(True, "allowed by the platform defaults", "default", nudge=nudge)


# ---------------------------------------------------------------------------------------------- facts


_ACCOUNTS_SQL = (
    "SELECT id, birth_year, age_band, risk, updated_at, suspended, language, profile FROM accounts "
    "WHERE id IN ({p}, {p})"
)
_RELATIONS_SQL = (
    "SELECT source_id, target_id, follows, friends, blocked, messages FROM relations "
    "WHERE source_id IN ({p}, {p}) AND target_id IN ({p}, {p})"
)


class _Account(NamedTuple):
    id: str
    birth_year: int | None
    age_band: str | None
    risk: float
    updated_at: datetime | None
    suspended: bool
    language: str | None
    profile: dict[str, Any]


def load_gate_facts(
    session: Session | Connection, actor_id: str, target_id: str, now: datetime | None = None, *,
    shared_groups: int = 0,
) -> tuple[Party, Party, Relation]:
    """Both accounts and both relation rows in two primary-key queries. Unknown accounts have no age.

    The queries go straight to the database driver: at thousands of questions a second, building ORM objects
    (or even SQLAlchemy result rows) costs ten times more than SQLite itself.
    """
    at = now or datetime.now(UTC)
    connection = session.connection() if isinstance(session, Session) else session
    mark = "?" if connection.dialect.name == "sqlite" else "%s"
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(_ACCOUNTS_SQL.format(p=mark), (actor_id, target_id))
        accounts = {row[0]: _account(row) for row in cursor.fetchall()}
        cursor.execute(_RELATIONS_SQL.format(p=mark), (actor_id, target_id, actor_id, target_id))
        rels = {(row[0], row[1]): row for row in cursor.fetchall()}
    finally:
        cursor.close()
    ab, ba = rels.get((actor_id, target_id)), rels.get((target_id, actor_id))
    relation = Relation(
        a_follows_b=bool(ab and ab[2]), b_follows_a=bool(ba and ba[2]),
        friends=bool((ab and ab[3]) or (ba and ba[3])),
        a_blocked_b=bool(ab and ab[4]), b_blocked_a=bool(ba and ba[4]),
        a_messages=int(ab[5]) if ab else 0, b_messages=int(ba[5]) if ba else 0,
        shared_groups=shared_groups,
    )
    return _party(accounts.get(actor_id), actor_id, at), _party(accounts.get(target_id), target_id, at), relation


def _account(row: Sequence[Any]) -> _Account:
    """A driver row to typed values: SQLite gives text for times and JSON, PostgreSQL gives Python values."""
    updated = row[4]
    if isinstance(updated, str):
        updated = datetime.fromisoformat(updated)
    if isinstance(updated, datetime) and updated.tzinfo is None:
        updated = updated.replace(tzinfo=UTC)
    profile = row[7]
    if isinstance(profile, (str, bytes)):
        profile = orjson.loads(profile)
    return _Account(row[0], row[1], row[2], float(row[3] or 0.0), updated, bool(row[5]), row[6],
                    profile if isinstance(profile, dict) else {})


def _party(row: _Account | None, account_id: str, at: datetime) -> Party:
    if row is None:
        return Party(account_id)
    age = age_of(birth_year=row.birth_year, age_band=row.age_band, at=at)
    profile = row.profile or {}
    restricted = False
    until = profile.get("restricted_until")
    if isinstance(until, str):
        try:
            restricted = datetime.fromisoformat(until) > at
        except ValueError:
            restricted = False
    days = max(0.0, (at - row.updated_at).total_seconds() / 86400) if row.updated_at else 0.0
    risk = float(row.risk or 0.0) * 0.5 ** (days / 30.0)  # the same decay as memory's account risk
    return Party(
        account_id, age=age.years, is_minor=age.is_minor, is_adult=age.is_adult, risk=risk,
        suspended=bool(row.suspended) or bool(profile.get("banned_at")), restricted=restricted,
        linked_to_suspended=bool(profile.get("linked_to_suspended")),
        language=(row.language or "")[:2].lower() or None,
    )


class GateFactsCache:
    """A small LRU of :func:`load_gate_facts` results, each kept for ``ttl`` seconds (default one second).

    A block, a new follow or a suspension is seen at most ``ttl`` seconds late; platforms that need it at
    once can call :meth:`forget` for the two accounts, or use ``ttl=0``.
    """

    def __init__(self, ttl: float = 1.0, size: int = 50_000) -> None:
        self.ttl, self.size = ttl, size
        self._items: OrderedDict[tuple[str, str, int], tuple[float, tuple[Party, Party, Relation]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, connect: Any, actor_id: str, target_id: str, shared_groups: int = 0) -> tuple[Party, Party, Relation]:
        key = (actor_id, target_id, shared_groups)
        now = time.monotonic()
        if self.ttl > 0:
            with self._lock:
                hit = self._items.get(key)
                if hit is not None and now - hit[0] < self.ttl:
                    self._items.move_to_end(key)
                    return hit[1]
        with connect() as connection:  # e.g. ``database.engine.connect``
            value = load_gate_facts(connection, actor_id, target_id, shared_groups=shared_groups)
        if self.ttl > 0:
            with self._lock:
                self._items[key] = (now, value)
                self._items.move_to_end(key)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return value

    def forget(self, *account_ids: str) -> None:
        ids = set(account_ids)
        with self._lock:
            for key in [k for k in self._items if k[0] in ids or k[1] in ids]:
                del self._items[key]


# ---------------------------------------------------------------------------------------------- config


def gating_from_node(node: Any, loader: Any) -> GatingConfig:
    """Validate the ``gating:`` section of a rules file (a YAML node) with the policy loader's error reporting.

    Every problem is reported with its line and column; the shipped defaults fill whatever is not given.
    """
    config = GatingConfig()
    fields = loader.mapping(node, "the gating section", ("mode", "unknown_age_as", "adult_to_minor", "risky_actor"),
                            "")
    if fields is None:
        return config
    for name, allowed in (("mode", ("enforce", "shadow")), ("unknown_age_as", ("adult", "minor"))):
        if name in fields:
            value_node = fields[name][1]
            value = loader.value(value_node)
            if value in allowed:
                config = (replace(config, mode=str(value)) if name == "mode"
                          else replace(config, unknown_age_as=str(value)))
            else:
                loader.at(value_node, f"gating.{name} must be '{allowed[0]}' or '{allowed[1]}', "
                                      f"not {loader.text_of(value_node)}", "")
    if "adult_to_minor" in fields:
        per_action = loader.mapping(fields["adult_to_minor"][1], "gating.adult_to_minor", GATE_ACTIONS, "")
        if per_action is not None:
            chosen = dict(config.adult_to_minor)
            for action, (_key, value_node) in per_action.items():
                value = loader.value(value_node)
                if value in REQUIREMENTS:
                    chosen[action] = str(value)
                else:
                    loader.at(value_node, f"gating.adult_to_minor.{action} must be one of {', '.join(REQUIREMENTS)}, "
                              f"not {loader.text_of(value_node)}", "")
            config = replace(config, adult_to_minor=chosen)
    if "risky_actor" in fields:
        risky = loader.mapping(fields["risky_actor"][1], "gating.risky_actor", ("min_risk", "actions"), "")
        if risky is not None and "min_risk" in risky:
            value_node = risky["min_risk"][1]
            value = loader.value(value_node)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and 0.0 <= value <= 1.0:
                config = replace(config, risky_min_risk=float(value))
            else:
                loader.at(value_node, "gating.risky_actor.min_risk must be a number from 0 to 1, "
                          f"not {loader.text_of(value_node)}",
                          "")
        if risky is not None and "actions" in risky:
            list_node = risky["actions"][1]
            items = getattr(list_node, "value", None)
            if not isinstance(items, list):
                loader.at(list_node, "gating.risky_actor.actions must be a list, e.g. [message, gift]", "")
            else:
                actions: set[str] = set()
                for item in items:
                    value = loader.value(item)
                    if value in GATE_ACTIONS:
                        actions.add(str(value))
                    else:
                        loader.at(item, f"unknown action {loader.text_of(item)} in gating.risky_actor.actions", "",
                                  "actions: " + ", ".join(GATE_ACTIONS))
                config = replace(config, risky_actions=frozenset(actions))
    return config


__all__ = [
    "DEFAULT_ADULT_TO_MINOR",
    "GATE_ACTIONS",
    "REQUIREMENTS",
    "GateAnswer",
    "GateFactsCache",
    "GatingConfig",
    "Party",
    "Relation",
    "gating_from_node",
    "load_gate_facts",
    "may_contact",
]
