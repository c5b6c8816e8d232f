"""Rules files: load and validate them, then evaluate every rule against an event's signals and facts.

A rules file is YAML: ``version: 1``, an optional ``mode`` (``enforce`` or ``shadow``) and an ordered list of
``rules``, each with a ``name``, a ``when`` condition (see :mod:`waakhond.policy.language`), the actions to
take (``then``) and an optional ``shadow: true``. The whole file is checked when it is loaded; every problem
is reported at once with its line and column, so a bad edit never reaches a running engine.

    >>> from waakhond.detectors.base import Signal
    >>> policy = Policy.from_text('''
    ... version: 1
    ... rules:
    ...   - name: sextortion_to_minor
    ...     when: tactic("sextortion") >= 0.5 and recipient_is_minor
    ...     then: [block_delivery, {queue_case: {priority: urgent}}]
    ... ''')
    >>> result = policy.evaluate([Signal("sextortion", 0.9, "threat")], {"recipient_is_minor": True})
    >>> result.verdict.value, [a.type.value for a in result.actions]
    ('block_delivery', ['block_delivery', 'queue_case'])
    >>> print(result.explanation)
    rule sextortion_to_minor: tactic sextortion 0.90, recipient_is_minor → block_delivery, queue_case(urgent)
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from waakhond.actions.gating import GatingConfig, gating_from_node
from waakhond.actions.model import PRIORITY_RANK, Action, ActionType, Priority, RuleHit, verdict_of
from waakhond.actions.nudges import NudgeBook, NudgeError, nudge_book, nudges_directory
from waakhond.detectors.base import Signal
from waakhond.policy.language import Expression, ExpressionError, compile_expression, suggest

#: The rules shipped with waakhond, used when no file is given.
DEFAULT_RULES = Path(__file__).with_name("default_rules.yaml")
#: ``nudge_recipient: {topic: auto}`` picks the topic of the strongest tactic the rule's condition reads.
AUTO_TOPIC = "auto"
DEFAULT_PRIORITY = Priority.normal
DEFAULT_RESTRICT_HOURS = 24
MAX_RESTRICT_HOURS = 24 * 365

_FILE_KEYS = ("version", "mode", "rules", "gating")
_RULE_KEYS = ("name", "description", "when", "then", "shadow")
_MODES = ("enforce", "shadow")
_RULE_NAME = re.compile(r"^[a-z0-9_]+$")
_ACTION_ORDER = {t: i for i, t in enumerate(ActionType)}
_PARAMS: dict[ActionType, tuple[str, ...]] = {
    ActionType.queue_case: ("priority",),
    ActionType.nudge_recipient: ("topic",),
    ActionType.restrict_contact: ("hours",),
}


# ---------------------------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class PolicyProblem:
    """One problem in a rules file. ``line``/``column`` are 1-based (0 when the whole file is at fault)."""

    source: str
    line: int
    column: int
    message: str
    rule: str = ""
    hint: str = ""
    excerpt: str = ""  # the offending source line
    width: int = 1  # how many characters to underline

    def format(self) -> str:
        """``FILE:LINE:COL: rule 'name': message``, then the line, a caret and the hint (if any)."""
        where = f"{self.source}:{self.line}:{self.column}" if self.line else self.source
        rule = f"rule '{self.rule}': " if self.rule else ""
        out = [f"{where}: {rule}{self.message}"]
        if self.excerpt.strip():
            out.append(f"    {self.excerpt}")
            out.append("    " + " " * (self.column - 1) + "^" * max(1, self.width))
        if self.hint:
            out.append(f"    hint: {self.hint}")
        return "\n".join(out)


class PolicyError(ValueError):
    """A rules file that cannot be used. ``str(error)`` lists every problem, one block each, in file order."""

    def __init__(self, problems: Sequence[PolicyProblem]) -> None:
        self.problems = tuple(sorted(problems, key=lambda p: (p.line, p.column)))
        super().__init__("\n".join(p.format() for p in self.problems))


# ---------------------------------------------------------------------------------------------- values


@dataclass(frozen=True)
class ActionSpec:
    """An action as written in a rule: its type and validated parameters."""

    type: ActionType
    params: Mapping[str, Any] = field(default_factory=dict)

    def label(self) -> str:
        """For explanations: ``queue_case(urgent)``, ``nudge_recipient(age_probe)``, ``hold_message``."""
        if self.type is ActionType.queue_case:
            return f"queue_case({self.params['priority']})"
        if self.type is ActionType.nudge_recipient:
            return f"nudge_recipient({self.params['topic']})"
        if self.type is ActionType.restrict_contact:
            return f"restrict_contact({self.params['hours']}h)"
        return self.type.value


@dataclass(frozen=True)
class Rule:
    name: str
    when: Expression
    then: tuple[ActionSpec, ...]
    description: str = ""
    shadow: bool = False
    line: int = 0


@dataclass(frozen=True)
class PolicyResult:
    """What the policy decided for one event.

    ``actions`` are the merged actions of the enforced rules that matched (one per type); ``hits`` lists every
    matching rule, shadow ones included (``shadow=True``, no effect); ``errors`` lists rules skipped because a
    fact had an unexpected type (an integration bug worth logging).
    """

    actions: tuple[Action, ...]
    hits: tuple[RuleHit, ...]
    verdict: ActionType
    explanation: str
    policy_version: str = ""
    errors: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------- policy


@dataclass(frozen=True)
class Policy:
    """An ordered, validated set of rules. Immutable and thread-safe; build it with :meth:`load`."""

    rules: tuple[Rule, ...]
    version: str
    mode: str = "enforce"
    source: str = "<string>"
    nudges: NudgeBook = field(default_factory=nudge_book, repr=False, compare=False)
    #: The YAML text the rules came from (``version`` is its hash), e.g. to copy the defaults for editing.
    source_text: str = field(default="", repr=False, compare=False)
    #: The file the rules were loaded from; ``None`` for :meth:`from_text`.
    path: Path | None = None
    #: Contact-gating defaults from the ``gating:`` section (shipped defaults when there is none).
    gating: GatingConfig = field(default_factory=GatingConfig, compare=False)

    @classmethod
    def load(cls, path: Path | str | None = None, *, nudges: NudgeBook | None = None) -> Policy:
        """Load a rules file (``None``: the shipped defaults). Raises :class:`PolicyError`."""
        file = Path(path) if path is not None else DEFAULT_RULES
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise PolicyError([PolicyProblem(str(file), 0, 0, f"cannot read the rules file: {e}")]) from None
        policy = cls.from_text(text, source=str(file), nudges=nudges)
        return replace(policy, path=file)

    @classmethod
    def from_text(cls, text: str, source: str = "<string>", *, nudges: NudgeBook | None = None) -> Policy:
        """Parse and validate rules from YAML text. Raises :class:`PolicyError` listing every problem."""
        book = nudges
        if book is None:
            try:
                book = nudge_book()
            except NudgeError as e:  # a bad WAAKHOND_NUDGES_DIR: one error type for callers to catch
                raise PolicyError([PolicyProblem(str(nudges_directory()), 0, 0, str(e))]) from None
        loader = _Loader(text, source, book)
        rules, mode = loader.load()
        if loader.problems:
            raise PolicyError(loader.problems)
        version = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        return cls(
            rules=tuple(rules), version=version, mode=mode, source=source, nudges=book, source_text=text,
            gating=loader.gating,
        )

    def describe(self) -> dict[str, Any]:
        """A JSON-ready summary for the API and CLI: version, mode, source and every rule as written.

        ``shadow`` is the effective value (``true`` for every rule when the file is in shadow mode).
        """
        return {
            "version": self.version,
            "mode": self.mode,
            "source": self.source,
            "rules": [
                {
                    "name": r.name,
                    "description": r.description,
                    "when": " ".join(r.when.source.split()),
                    "then": [s.label() for s in r.then],
                    "shadow": r.shadow or self.mode == "shadow",
                    "line": r.line,
                }
                for r in self.rules
            ],
        }

    def evaluate(self, signals: Sequence[Signal], facts: Mapping[str, Any]) -> PolicyResult:
        """Run every rule, in file order, on one event's signals and facts (names from ``FACTS``)."""
        scores: dict[str, float] = {}
        for signal in signals:
            if signal.score > scores.get(signal.name, -1.0):
                scores[signal.name] = signal.score
        hits: list[RuleHit] = []
        errors: list[str] = []
        chosen: dict[ActionType, tuple[ActionSpec, str]] = {}
        enforced = 0
        shadow_file = self.mode == "shadow"
        present = {name for name, score in scores.items() if score > 0}
        for rule in self.rules:
            needs = rule.when.needs
            if needs is not None and needs.isdisjoint(present):
                continue  # false without evaluating (see Expression.needs)
            try:
                matched = rule.when.evaluate(facts, scores)
            except (
                TypeError
            ) as e:  # a fact of the wrong type: skip this rule, keep protecting with the others
                errors.append(f"rule {rule.name}: {e}")
                continue
            if not matched:
                continue
            shadow = rule.shadow or shadow_file
            specs = [self._resolve(spec, rule, scores) for spec in rule.then]
            hits.append(
                RuleHit(
                    rule=rule.name,
                    shadow=shadow,
                    actions=tuple(s.type.value for s in specs),
                    reason=_reason(rule, specs, shadow, facts, scores),
                )
            )
            if shadow:
                continue
            enforced += 1
            for spec in specs:
                _merge(chosen, spec, rule.name)
        actions = self._actions(chosen, facts)
        explanation = "; ".join(h.reason for h in hits)
        if not hits:
            explanation = "no rule matched → allow"
        elif not enforced:
            explanation += " (shadow only: no effect → allow)"
        return PolicyResult(
            actions=actions,
            hits=tuple(hits),
            verdict=verdict_of(actions),
            explanation=explanation,
            policy_version=self.version,
            errors=tuple(errors),
        )

    def _resolve(self, spec: ActionSpec, rule: Rule, scores: Mapping[str, float]) -> ActionSpec:
        if spec.type is not ActionType.nudge_recipient or spec.params["topic"] != AUTO_TOPIC:
            return spec
        topics = self.nudges.topics()
        candidates = [t for t in sorted(rule.when.tactics) if t in topics and scores.get(t, 0.0) > 0.0]
        topic = max(candidates, key=lambda t: scores[t]) if candidates else "default"
        return ActionSpec(spec.type, {"topic": topic})

    def _actions(
        self, chosen: Mapping[ActionType, tuple[ActionSpec, str]], facts: Mapping[str, Any]
    ) -> tuple[Action, ...]:
        if len(chosen) > 1:
            # 'allow' only says "matched, do nothing"; it never overrides another rule's action.
            chosen = {t: v for t, v in chosen.items() if t is not ActionType.allow}
        out: list[Action] = []
        for action_type in sorted(chosen, key=_ACTION_ORDER.__getitem__):
            spec, rule = chosen[action_type]
            params: Mapping[str, Any] = spec.params
            if action_type is ActionType.nudge_recipient:
                language = facts.get("recipient_language")
                params = self.nudges.render(
                    spec.params["topic"], language if isinstance(language, str) else None
                )
            out.append(Action(action_type, dict(params), rule))
        return tuple(out)


def _merge(chosen: dict[ActionType, tuple[ActionSpec, str]], spec: ActionSpec, rule: str) -> None:
    """One action per type: the most urgent case, the longest restriction, otherwise the first rule's."""
    held = chosen.get(spec.type)
    if held is None:
        chosen[spec.type] = (spec, rule)
    elif spec.type is ActionType.queue_case:
        if PRIORITY_RANK[spec.params["priority"]] < PRIORITY_RANK[held[0].params["priority"]]:
            chosen[spec.type] = (spec, rule)
    elif spec.type is ActionType.restrict_contact and spec.params["hours"] > held[0].params["hours"]:
        chosen[spec.type] = (spec, rule)


def _reason(
    rule: Rule,
    specs: Sequence[ActionSpec],
    shadow: bool,
    facts: Mapping[str, Any],
    scores: Mapping[str, float],
) -> str:
    evidence = ", ".join(rule.when.explain(facts, scores)) or "always"
    kind = "shadow rule" if shadow else "rule"
    return f"{kind} {rule.name}: {evidence} → {', '.join(s.label() for s in specs)}"


# ---------------------------------------------------------------------------------------------- loading


class _Loader:
    """Walks the YAML node tree (not plain dicts) so every problem can point at its line and column."""

    def __init__(self, text: str, source: str, nudges: NudgeBook) -> None:
        self.text = text
        self.lines = text.splitlines()
        self.source = source
        self.nudges = nudges
        self.problems: list[PolicyProblem] = []
        self._scalars = yaml.SafeLoader("")
        self.gating = GatingConfig()

    # -- reporting

    def at(self, node: yaml.Node, message: str, rule: str = "", hint: str = "") -> None:
        start, end = node.start_mark, node.end_mark
        width = end.column - start.column if end.line == start.line else 1
        self.add(start.line + 1, start.column + 1, message, rule, hint, width)

    def add(
        self, line: int, column: int, message: str, rule: str = "", hint: str = "", width: int = 1
    ) -> None:
        excerpt = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        width = max(1, min(width, len(excerpt) - column + 1))
        self.problems.append(PolicyProblem(self.source, line, column, message, rule, hint, excerpt, width))

    # -- structure

    def load(self) -> tuple[list[Rule], str]:
        try:
            root = yaml.compose(self.text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as e:
            mark = e.problem_mark or e.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
            hint = ""
            if "mapping values are not allowed" in str(e.problem):
                hint = "a condition that contains ': ' must be quoted, or written as a block ('when: >-')"
            self.add(line, column, f"invalid YAML: {e.problem or e.context}", hint=hint)
            return [], "enforce"
        except yaml.YAMLError as e:
            self.add(0, 0, f"invalid YAML: {e}")
            return [], "enforce"
        if root is None:
            self.add(0, 0, "the rules file is empty", hint="start with 'version: 1' and 'rules:'")
            return [], "enforce"
        top = self.mapping(root, "the rules file", _FILE_KEYS)
        if top is None:
            return [], "enforce"
        if "version" not in top:
            self.at(root, "'version: 1' is missing")
        else:
            node = top["version"][1]
            if self.value(node) != 1 or isinstance(self.value(node), bool):
                self.at(
                    node, f"unsupported version {self.text_of(node)}", hint="this engine reads 'version: 1'"
                )
        mode = "enforce"
        if "mode" in top:
            node = top["mode"][1]
            value = self.value(node)
            if value in _MODES:
                mode = str(value)
            else:
                self.at(node, f"mode must be 'enforce' or 'shadow', not {self.text_of(node)}")
        if "gating" in top:
            self.gating = gating_from_node(top["gating"][1], self)
        rules: list[Rule] = []
        if "rules" not in top:
            self.at(root, "'rules:' is missing")
        else:
            node = top["rules"][1]
            if self.is_null(node):
                return rules, mode
            if not isinstance(node, yaml.SequenceNode):
                self.at(node, "'rules' must be a list of rules ('- name: ...')")
                return rules, mode
            seen: dict[str, int] = {}
            for index, item in enumerate(node.value, start=1):
                rule = self.rule(item, index, seen)
                if rule is not None:
                    rules.append(rule)
        return rules, mode

    def mapping(
        self, node: yaml.Node, what: str, keys: Sequence[str], rule: str = ""
    ) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
        if not isinstance(node, yaml.MappingNode):
            self.at(node, f"{what} must be a mapping of keys to values", rule)
            return None
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = self.value(key_node)
            if not isinstance(key, str):
                self.at(key_node, f"keys must be text, not {self.text_of(key_node)}", rule)
                continue
            if key not in keys:
                hint = suggest(key, keys) or "known keys: " + ", ".join(keys)
                self.at(key_node, f"unknown key '{key}' in {what}", rule, hint)
                continue
            if key in out:
                self.at(key_node, f"'{key}' is given twice in {what}", rule)
                continue
            out[key] = (key_node, value_node)
        return out

    def rule(self, node: yaml.Node, index: int, seen: dict[str, int]) -> Rule | None:
        label = f"#{index}"
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if self.value(key_node) == "name" and isinstance(self.value(value_node), str):
                    label = str(self.value(value_node))
        fields = self.mapping(node, "a rule", _RULE_KEYS, label)
        if fields is None:
            return None
        ok = True
        if "name" not in fields:
            self.at(node, "the rule has no 'name'", label)
            ok = False
        else:
            name_node = fields["name"][1]
            name = self.value(name_node)
            if not isinstance(name, str) or not _RULE_NAME.match(name):
                self.at(
                    name_node, f"rule name {self.text_of(name_node)} must use only a-z, 0-9 and '_'", label
                )
                ok = False
            elif name in seen:
                self.at(name_node, f"duplicate rule name (first used on line {seen[name]})", label)
                ok = False
            else:
                seen[name] = name_node.start_mark.line + 1
        description = ""
        if "description" in fields:
            desc_node = fields["description"][1]
            value = self.value(desc_node)
            if not isinstance(value, str):
                self.at(desc_node, "description must be text", label)
                ok = False
            else:
                description = " ".join(value.split())
        shadow = False
        if "shadow" in fields:
            shadow_node = fields["shadow"][1]
            value = self.value(shadow_node)
            if not isinstance(value, bool):
                self.at(shadow_node, f"shadow must be true or false, not {self.text_of(shadow_node)}", label)
                ok = False
            else:
                shadow = value
        when = None
        if "when" not in fields:
            self.at(node, "the rule has no 'when' condition", label)
            ok = False
        else:
            when = self.condition(fields["when"][1], label)
        then: tuple[ActionSpec, ...] = ()
        if "then" not in fields:
            self.at(node, "the rule has no 'then' actions", label)
            ok = False
        else:
            then = self.actions(fields["then"][1], label, when)
            ok = ok and bool(then)
        if not ok or when is None:
            return None
        return Rule(label, when, then, description, shadow, node.start_mark.line + 1)

    # -- conditions

    def condition(self, node: yaml.Node, rule: str) -> Expression | None:
        if not isinstance(node, yaml.ScalarNode):
            self.at(node, "'when' must be a condition written as text", rule, "e.g. when: recipient_is_minor")
            return None
        try:
            return compile_expression(node.value)
        except ExpressionError as e:
            for p in e.problems:
                line, column = self.locate(node, p.start)
                end_line, end_column = self.locate(node, max(p.end - 1, p.start))
                width = (
                    end_column - column + 1 if end_line == line else len(self.lines[line - 1]) - column + 1
                )
                self.add(line, column, p.message, rule, p.hint, width)
        except RecursionError:
            self.at(node, "the condition is nested too deeply", rule)
        return None

    def locate(self, node: yaml.ScalarNode, offset: int) -> tuple[int, int]:
        """File line and column of character ``offset`` of a scalar's value.

        Aligns the value with the raw text between the scalar's marks: YAML folds line breaks and indentation
        of plain and block scalars into spaces, so whitespace may differ but every other character is the
        same. Quoted scalars with escapes do not align; they fall back to the start of the scalar.
        """
        start = node.start_mark.index
        raw = self.text[start : node.end_mark.index]
        j = 0
        if node.style in ("|", ">"):
            j = raw.find("\n") + 1 if "\n" in raw else len(raw)
        elif node.style in ("'", '"'):
            j = 1
        value = node.value
        i = 0
        found = None
        last = -1  # raw index of the last character matched
        while j < len(raw):
            if i == offset and not raw[j].isspace():
                found = j
                break
            if i < len(value) and value[i] == raw[j]:
                last = j
                i += 1
                j += 1
            elif raw[j].isspace():
                j += 1
            elif i < len(value) and value[i].isspace():
                i += 1
            else:
                break
        if found is None and i >= offset and last >= 0:
            found = last + 1  # just past the end of the condition ("unexpected end")
        if found is None:
            return node.start_mark.line + 1, node.start_mark.column + 1
        index = start + found
        line = self.text.count("\n", 0, index)
        column = index - (self.text.rfind("\n", 0, index) + 1)
        return line + 1, column + 1

    # -- actions

    def actions(self, node: yaml.Node, rule: str, when: Expression | None) -> tuple[ActionSpec, ...]:
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            self.at(node, "'then' must be a non-empty list of actions", rule, "e.g. then: [hold_message]")
            return ()
        specs: list[ActionSpec] = []
        ok = True
        for item in node.value:
            spec = self.action(item, rule, when)
            if spec is None:
                ok = False
            elif any(s.type is spec.type for s in specs):
                self.at(item, f"action '{spec.type.value}' is listed twice", rule)
                ok = False
            else:
                specs.append(spec)
        if ok and len(specs) > 1 and any(s.type is ActionType.allow for s in specs):
            self.at(node, "'allow' cannot be combined with other actions", rule)
            ok = False
        return tuple(specs) if ok else ()

    def action(self, node: yaml.Node, rule: str, when: Expression | None) -> ActionSpec | None:
        params_node: yaml.Node | None = None
        if isinstance(node, yaml.ScalarNode):
            name_node = node
        elif isinstance(node, yaml.MappingNode) and len(node.value) == 1:
            name_node, params_node = node.value[0]
        else:
            self.at(
                node,
                "an action is a name or 'name: {param: value}'",
                rule,
                "e.g. - queue_case: {priority: high}",
            )
            return None
        name = self.value(name_node)
        try:
            action_type = ActionType(name)
        except ValueError:
            hint = suggest(str(name), [t.value for t in ActionType]) or "actions: " + ", ".join(ActionType)
            self.at(name_node, f"unknown action {self.text_of(name_node)}", rule, hint)
            return None
        given: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        if params_node is not None and not self.is_null(params_node):
            allowed = _PARAMS.get(action_type, ())
            if not allowed:
                self.at(params_node, f"'{action_type.value}' takes no parameters", rule)
                return None
            fields = self.mapping(params_node, f"the parameters of '{action_type.value}'", allowed, rule)
            if fields is None:
                return None
            given = fields
        params: dict[str, Any] = {}
        if action_type is ActionType.queue_case:
            params["priority"] = DEFAULT_PRIORITY.value
            if "priority" in given:
                value_node = given["priority"][1]
                value = self.value(value_node)
                if value not in {p.value for p in Priority}:
                    hint = (
                        suggest(str(value), [p.value for p in Priority])
                        or "priorities: urgent, high, normal, low"
                    )
                    self.at(value_node, f"unknown priority {self.text_of(value_node)}", rule, hint)
                    return None
                params["priority"] = value
        elif action_type is ActionType.nudge_recipient:
            params["topic"] = "default"
            if "topic" in given:
                value_node = given["topic"][1]
                value = self.value(value_node)
                topics = self.nudges.topics()
                if value != AUTO_TOPIC and value not in topics:
                    hint = suggest(str(value), [*topics, AUTO_TOPIC]) or "topics: " + ", ".join(
                        sorted(topics)
                    )
                    self.at(value_node, f"unknown nudge topic {self.text_of(value_node)}", rule, hint)
                    return None
                if value == AUTO_TOPIC and when is not None and not when.tactics:
                    self.at(
                        value_node,
                        "topic 'auto' needs a condition that reads tactics",
                        rule,
                        "name a topic, e.g. topic: stranger_contact",
                    )
                    return None
                params["topic"] = value
        elif action_type is ActionType.restrict_contact:
            params["hours"] = DEFAULT_RESTRICT_HOURS
            if "hours" in given:
                value_node = given["hours"][1]
                value = self.value(value_node)
                if (
                    not isinstance(value, int)
                    or isinstance(value, bool)
                    or not 1 <= value <= MAX_RESTRICT_HOURS
                ):
                    self.at(value_node, f"hours must be a whole number from 1 to {MAX_RESTRICT_HOURS}", rule)
                    return None
                params["hours"] = value
        return ActionSpec(action_type, params)

    # -- scalars

    def value(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            return node  # a mapping or list where a plain value is expected; callers report it
        return self._scalars.construct_object(node)

    def is_null(self, node: yaml.Node) -> bool:
        return isinstance(node, yaml.ScalarNode) and self.value(node) is None

    def text_of(self, node: yaml.Node) -> str:
        if isinstance(node, yaml.ScalarNode):
            return f"'{node.value}'"
        return "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"
