"""The condition language of policy rules: parse, validate, type-check and compile a ``when`` expression.

A condition is a restricted Python *expression*: boolean logic, comparisons, fact names, constants, literal
lists after ``in`` and calls to four functions. It is parsed with :mod:`ast` and every node is checked against
a whitelist; anything else (attribute access, indexing, arithmetic, lambdas, comprehensions, f-strings,
``:=``) is refused with a precise message. The checked tree is then turned into plain Python closures, once,
at load time. Nothing is ever handed to ``eval``/``exec``: the closures can only read facts and signal
scores, so the validator is the only gate and a rule cannot hurt the engine.

    >>> cond = compile_expression('tactic("age_probe") >= 0.5 and recipient_is_minor')
    >>> cond.evaluate({"recipient_is_minor": True}, {"age_probe": 0.9})
    True
    >>> cond.explain({"recipient_is_minor": True}, {"age_probe": 0.9})
    ['tactic age_probe 0.90', 'recipient_is_minor']

Semantics worth knowing: a missing fact (``None``) is false when tested on its own and makes every comparison
false (also ``!=`` and ``not in``); ``fact == None`` / ``fact != None`` test whether the fact is known.
"""

from __future__ import annotations

import ast
import difflib
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, get_args

from waakhond.detectors.text.labels import TACTICS
from waakhond.events.models import (
    EVENT_KINDS,
    Channel,
    ContactEvent,
    MediaEvent,
    ModerationEvent,
    ReportCategory,
)
from waakhond.memory.facts import FACTS

Facts = Mapping[str, Any]
Scores = Mapping[str, float]
Evaluator = Callable[[Facts, Scores], Any]
Witness = Callable[[Facts, Scores, bool], list[str]]

#: The functions a condition may call, with the one-line help shown in docs and hints.
FUNCTIONS: dict[str, str] = {
    "signal": 'signal("name"): highest score (0..1) of the signals with that name, 0.0 if there is none',
    "tactic": 'tactic("label"): like signal(), but the label must be a grooming tactic (checked at load)',
    "any_tactic": 'any_tactic("a", "b", ...): highest score among the listed tactics',
    "tactic_count": "tactic_count(min_score=0.5): number of distinct tactics scoring at least min_score",
}

#: Known values of text facts: ``kind == "mesage"`` is a load error, not a rule that silently never fires.
FACT_VALUES: dict[str, frozenset[str]] = {
    "kind": frozenset(EVENT_KINDS),
    "channel": frozenset({*(c.value for c in Channel), ""}),
    "report_category": frozenset(c.value for c in ReportCategory),
    "contact_action": frozenset(get_args(ContactEvent.model_fields["action"].annotation)),
    "moderation_action": frozenset(get_args(ModerationEvent.model_fields["action"].annotation)),
    "media_purpose": frozenset(get_args(MediaEvent.model_fields["purpose"].annotation)),
}

_SIGNAL_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_TACTIC_LABELS: tuple[str, ...] = tuple(TACTICS)

# Readable names for the Python constructs the language refuses.
_REFUSED: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access ('a.b')",
    ast.Subscript: "indexing ('a[b]')",
    ast.BinOp: "arithmetic",
    ast.Lambda: "lambda",
    ast.IfExp: "'x if c else y'",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.NamedExpr: "':=' assignment",
    ast.JoinedStr: "an f-string",
    ast.Dict: "a dict",
    ast.Set: "a set",
    ast.Starred: "'*' unpacking",
    ast.Await: "'await'",
    ast.Yield: "'yield'",
    ast.YieldFrom: "'yield'",
    ast.Slice: "a slice",
}

_ORDERING: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_EQUALITY: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {ast.Eq: operator.eq, ast.NotEq: operator.ne}
_OP_TEXT: dict[type[ast.cmpop], str] = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}


@dataclass(frozen=True)
class ExpressionProblem:
    """One thing wrong with a condition. ``start``/``end`` are character offsets into the condition text."""

    start: int
    end: int
    message: str
    hint: str = ""


class ExpressionError(ValueError):
    """A condition that does not parse or does not type-check; ``problems`` lists every problem found."""

    def __init__(self, source: str, problems: Sequence[ExpressionProblem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        super().__init__("; ".join(p.message for p in self.problems))


@dataclass(frozen=True)
class Expression:
    """A validated, compiled condition. ``evaluate`` costs a few closure calls; ``explain`` is for hits only.

    ``facts``, ``signals`` and ``tactics`` say what the condition reads (``tactics`` holds every label when
    the condition uses ``tactic_count``), so callers can explain or index rules without re-parsing.
    """

    source: str
    facts: frozenset[str]
    signals: frozenset[str]
    tactics: frozenset[str]
    _evaluate: Evaluator = field(repr=False, compare=False)
    _witness: Witness = field(repr=False, compare=False)
    #: signal names of which at least one must score above 0 for the condition to hold (None: no such set).
    #: When none does, the condition is false and evaluating it could not have raised, so the policy skips
    #: it: most rules start with ``signal(...) >= x`` and most events have few signals.
    needs: frozenset[str] | None = field(default=None, compare=False)

    def evaluate(self, facts: Facts, scores: Scores) -> bool:
        """Whether the condition holds. ``scores`` maps a signal name to its highest score for the event."""
        return bool(self._evaluate(facts, scores))

    def explain(self, facts: Facts, scores: Scores) -> list[str]:
        """The facts and scores that made the condition hold, in reading order (``['tactic age_probe 0.90',
        'recipient_is_minor']``). For an ``or`` only the branch that held is shown."""
        seen: dict[str, None] = {}
        for item in self._witness(facts, scores, True):
            seen.setdefault(item, None)
        return list(seen)


def compile_expression(source: str) -> Expression:
    """Parse, validate and compile one condition; raise :class:`ExpressionError` listing every problem."""
    text = source.replace("\r", " ").replace("\n", " ").replace("\t", " ")
    lead = len(text) - len(text.lstrip())
    stripped = text.strip()
    if not stripped:
        raise ExpressionError(source, [ExpressionProblem(0, 0, "the condition is empty")])
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as e:
        raise ExpressionError(source, [_syntax_problem(stripped, e, lead)]) from None
    checker = _Checker(stripped, lead)
    typed = checker.check(tree.body)
    if typed.type not in ("bool", "error"):
        checker.problem(
            tree.body, f"the condition must be true or false, but {typed.describe()}", typed.hint_bool()
        )
    if checker.problems:
        raise ExpressionError(source, checker.problems)
    return Expression(
        source=source,
        facts=frozenset(checker.facts),
        signals=frozenset(checker.signals),
        tactics=frozenset(checker.tactics),
        _evaluate=typed.evaluate,
        _witness=typed.witness,
        needs=typed.guard,
    )


def suggest(word: str, candidates: Iterable[str]) -> str:
    """A ``did you mean 'x'?`` hint, or ``''`` when nothing is close."""
    close = difflib.get_close_matches(word, sorted(candidates), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


# ---------------------------------------------------------------------------------------------- checking


def _no_witness(facts: Facts, scores: Scores, held: bool) -> list[str]:
    return []


@dataclass
class _Typed:
    """A checked sub-expression: its type, how to compute it, and how to explain it."""

    type: str  # "bool", "number", "str", "none", "list", "error"
    evaluate: Evaluator
    witness: Witness = _no_witness
    text: str = ""
    constant: bool = False
    value: Any = None  # the value of a constant (a tuple for a literal list)
    fact: str = ""  # set when the node is a bare fact name
    score: bool = False  # a 0..1 score from a function
    #: signal names of which one must score above 0 for this (true/false) node to hold; None: no such set
    guard: frozenset[str] | None = None
    #: evaluating it cannot raise, whatever the facts (numbers from functions, equality, plain facts)
    safe: bool = False
    #: the names a score or count function reads (for guards)
    reads: frozenset[str] = frozenset()

    def describe(self) -> str:
        kinds = {"bool": "true/false", "number": "a number", "str": "text", "none": "None", "list": "a list"}
        what = kinds.get(self.type, self.type)
        if self.fact:
            return f"'{self.fact}' is {what}"
        return f"'{self.text}' is {what}"

    def label(self) -> str:
        """``'sender_age' (a number)`` for messages that name both sides of a comparison."""
        kinds = {"bool": "true/false", "number": "a number", "str": "text", "none": "None", "list": "a list"}
        return f"{self.fact or self.text} ({kinds.get(self.type, self.type)})"

    def hint_bool(self) -> str:
        if self.type == "number":
            example = f"{self.text} >= 0.5" if self.score else f"{self.text} > 0"
            return f"compare it, e.g. '{example}'"
        if self.type == "str":
            return f"compare it, e.g. '{self.text} == \"...\"'"
        return ""


_ERROR = _Typed("error", lambda f, s: False)


class _Checker:
    def __init__(self, text: str, lead: int) -> None:
        self.text = text
        self.lead = lead
        # ast offsets are UTF-8 byte offsets; conditions may hold non-ASCII text in string constants.
        self.raw = text.encode()
        self.problems: list[ExpressionProblem] = []
        self.facts: set[str] = set()
        self.signals: set[str] = set()
        self.tactics: set[str] = set()

    # -- reporting

    def _char(self, byte_offset: int) -> int:
        return len(self.raw[:byte_offset].decode(errors="ignore"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        start = self._char(getattr(node, "col_offset", 0))
        end_byte = getattr(node, "end_col_offset", None)
        end = self._char(end_byte) if end_byte is not None else start + 1
        return start + self.lead, end + self.lead

    def problem(self, node: ast.AST, message: str, hint: str = "") -> _Typed:
        start, end = self.span(node)
        self.problems.append(ExpressionProblem(start, end, message, hint))
        return _ERROR

    def source(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.text, node) or ""

    # -- dispatch

    def check(self, node: ast.AST) -> _Typed:
        if isinstance(node, ast.BoolOp):
            return self._boolop(node)
        if isinstance(node, ast.UnaryOp):
            return self._unary(node)
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.Constant):
            return self._constant(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.List | ast.Tuple):
            return self.problem(node, "a literal list is only allowed after 'in' or 'not in'")
        what = _REFUSED.get(type(node), f"'{type(node).__name__}'")
        hint = ""
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitAnd | ast.BitOr):
            hint = "use 'and' / 'or' to combine conditions"
        elif isinstance(node, ast.Attribute):
            hint = "facts are plain names, e.g. 'recipient_is_minor'"
        return self.problem(node, f"{what} is not allowed in a rule condition", hint)

    # -- boolean logic

    def _as_test(self, node: ast.AST) -> _Typed:
        typed = self.check(node)
        if typed.type not in ("bool", "error"):
            return self.problem(node, f"{typed.describe()}, not true/false", typed.hint_bool())
        return typed

    def _boolop(self, node: ast.BoolOp) -> _Typed:
        parts = [self._as_test(v) for v in node.values]
        if any(p.type == "error" for p in parts):
            return _ERROR
        fns = tuple(p.evaluate for p in parts)
        wits = tuple(p.witness for p in parts)
        evaluate: Evaluator
        if isinstance(node.op, ast.And):
            if len(fns) == 2:
                a, b = fns
                evaluate = lambda f, s: bool(a(f, s)) and bool(b(f, s))  # noqa: E731
            else:

                def evaluate(f: Facts, s: Scores) -> bool:
                    return all(fn(f, s) for fn in fns)

            def witness(f: Facts, s: Scores, held: bool) -> list[str]:
                if held:
                    return [w for wit in wits for w in wit(f, s, True)]
                # Under 'not': the 'and' failed; show the parts that failed.
                return [
                    w for fn, wit in zip(fns, wits, strict=True) if not fn(f, s) for w in wit(f, s, False)
                ]

        else:
            if len(fns) == 2:
                a, b = fns
                evaluate = lambda f, s: bool(a(f, s)) or bool(b(f, s))  # noqa: E731
            else:

                def evaluate(f: Facts, s: Scores) -> bool:
                    return any(fn(f, s) for fn in fns)

            def witness(f: Facts, s: Scores, held: bool) -> list[str]:
                if held:
                    for fn, wit in zip(fns, wits, strict=True):
                        if fn(f, s):
                            return wit(f, s, True)
                    return []
                return [w for wit in wits for w in wit(f, s, False)]

        return _Typed("bool", evaluate, witness, self.source(node), guard=_guard_of(node.op, parts),
                      safe=all(p.safe for p in parts))

    def _unary(self, node: ast.UnaryOp) -> _Typed:
        if isinstance(node.op, ast.Not):
            inner = self._as_test(node.operand)
            if inner.type == "error":
                return _ERROR
            fn, wit = inner.evaluate, inner.witness
            return _Typed(
                "bool", lambda f, s: not fn(f, s), lambda f, s, held: wit(f, s, not held), self.source(node),
                safe=inner.safe,
            )
        if isinstance(node.op, ast.USub | ast.UAdd) and isinstance(node.operand, ast.Constant):
            value = node.operand.value
            if isinstance(value, int | float) and not isinstance(value, bool):
                number = -value if isinstance(node.op, ast.USub) else value
                return _Typed(
                    "number", lambda f, s: number, text=self.source(node), constant=True, value=number
                )
        if isinstance(node.op, ast.Invert):
            return self.problem(
                node, "'~' is not allowed in a rule condition", "use 'not' to negate a condition"
            )
        return self.problem(node, "arithmetic is not allowed in a rule condition")

    # -- leaves

    def _name(self, node: ast.Name) -> _Typed:
        name = node.id
        fact = FACTS.get(name)
        if fact is None:
            lowered = {"true": "True", "false": "False", "null": "None", "none": "None"}.get(name.lower())
            if lowered:
                return self.problem(node, f"unknown name '{name}'", f"write {lowered} (capitalised)")
            if name in FUNCTIONS:
                return self.problem(node, f"'{name}' is a function; call it", FUNCTIONS[name])
            return self.problem(node, f"unknown fact '{name}'", suggest(name, FACTS) or "see docs/policy.md")
        self.facts.add(name)
        kind = "bool" if fact.type is bool else "number" if fact.type in (int, float) else "str"

        def evaluate(f: Facts, s: Scores) -> Any:
            return f.get(name)

        def witness(f: Facts, s: Scores, held: bool) -> list[str]:
            value = f.get(name)
            if value is None:
                return [f"{name} unknown"]
            if kind == "bool":
                return [name if value else f"not {name}"]
            return [f"{name}={_show(value)}"]

        return _Typed(kind, evaluate, witness, name, fact=name, safe=True)

    def _constant(self, node: ast.Constant) -> _Typed:
        value = node.value
        text = self.source(node)
        if isinstance(value, bool):
            return _Typed("bool", lambda f, s: value, text=text, constant=True, value=value)
        if isinstance(value, int | float):
            return _Typed("number", lambda f, s: value, text=text, constant=True, value=value)
        if isinstance(value, str):
            return _Typed("str", lambda f, s: value, text=text, constant=True, value=value)
        if value is None:
            return _Typed("none", lambda f, s: None, text=text, constant=True, value=None)
        return self.problem(
            node, f"the constant {text} is not allowed", 'use numbers, "text", True, False or None'
        )

    # -- functions

    def _call(self, node: ast.Call) -> _Typed:
        if isinstance(node.func, ast.Attribute):
            return self.problem(
                node.func,
                "attribute access ('a.b') is not allowed in a rule condition",
                "the only calls are signal(), tactic(), any_tactic() and tactic_count()",
            )
        if not isinstance(node.func, ast.Name):
            return self.problem(
                node, "only the functions signal, tactic, any_tactic and tactic_count can be called"
            )
        name = node.func.id
        if name not in FUNCTIONS:
            hint = suggest(name, FUNCTIONS) or "the functions are " + ", ".join(FUNCTIONS)
            return self.problem(node.func, f"unknown function '{name}'", hint)
        if name == "tactic_count":
            return self._tactic_count(node)
        if node.keywords:
            return self.problem(node.keywords[0], f"{name}() takes no keyword arguments", FUNCTIONS[name])
        if name in ("signal", "tactic") and len(node.args) != 1:
            return self.problem(node, f"{name}() takes exactly one name in quotes", FUNCTIONS[name])
        if name == "any_tactic" and not node.args:
            return self.problem(node, "any_tactic() needs at least one tactic label", FUNCTIONS[name])
        labels: list[str] = []
        ok = True
        for arg in node.args:
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                self.problem(arg, f"{name}() takes a name in quotes, not an expression", FUNCTIONS[name])
                ok = False
                continue
            label = arg.value
            if name == "signal":
                if not _SIGNAL_NAME.match(label):
                    self.problem(arg, f"'{label}' is not a signal name (lowercase letters, digits and '_')")
                    ok = False
            elif label not in TACTICS:
                self.problem(
                    arg, f"unknown tactic '{label}'", suggest(label, _TACTIC_LABELS) or _tactic_list()
                )
                ok = False
            elif label in labels:
                self.problem(arg, f"tactic '{label}' is listed twice")
                ok = False
            labels.append(label)
        if not ok:
            return _ERROR
        text = self.source(node)
        if name == "signal":
            self.signals.add(labels[0])
        else:
            self.tactics.update(labels)
        if len(labels) == 1:
            label = labels[0]
            prefix = "signal" if name == "signal" else "tactic"

            def evaluate(f: Facts, s: Scores) -> float:
                return s.get(label, 0.0)

            def witness(f: Facts, s: Scores, held: bool) -> list[str]:
                return [f"{prefix} {label} {s.get(label, 0.0):.2f}"]

            return _Typed("number", evaluate, witness, text, score=True, safe=True, reads=frozenset(labels))
        group = tuple(labels)

        def evaluate_any(f: Facts, s: Scores) -> float:
            return max(s.get(label, 0.0) for label in group)

        def witness_any(f: Facts, s: Scores, held: bool) -> list[str]:
            best = max(group, key=lambda label: s.get(label, 0.0))
            return [f"tactic {best} {s.get(best, 0.0):.2f}"]

        return _Typed("number", evaluate_any, witness_any, text, score=True, safe=True, reads=frozenset(group))

    def _tactic_count(self, node: ast.Call) -> _Typed:
        help_text = FUNCTIONS["tactic_count"]
        args: list[ast.expr] = list(node.args)
        for kw in node.keywords:
            if kw.arg != "min_score":
                return self.problem(kw, f"tactic_count() has no argument '{kw.arg}'", help_text)
            args.append(kw.value)
        if len(args) > 1:
            return self.problem(node, "tactic_count() takes at most one argument, min_score", help_text)
        min_score = 0.5
        if args:
            arg = args[0]
            value = arg.value if isinstance(arg, ast.Constant) else None
            if not isinstance(value, int | float) or isinstance(value, bool):
                return self.problem(arg, "tactic_count() takes a number for min_score", help_text)
            if not 0.0 < value <= 1.0:
                return self.problem(arg, f"min_score must be above 0 and at most 1, not {value}")
            min_score = float(value)
        self.tactics.update(_TACTIC_LABELS)
        labels = _TACTIC_LABELS

        def evaluate(f: Facts, s: Scores) -> int:
            return sum(1 for label in labels if s.get(label, 0.0) >= min_score)

        def witness(f: Facts, s: Scores, held: bool) -> list[str]:
            found = [label for label in labels if s.get(label, 0.0) >= min_score]
            return [f"{len(found)} tactics >= {min_score:.2f}" + (f" ({', '.join(found)})" if found else "")]

        return _Typed("number", evaluate, witness, self.source(node), safe=True, reads=frozenset(labels))

    # -- comparisons

    def _compare(self, node: ast.Compare) -> _Typed:
        operands = [self.check(node.left)]
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                operands.append(self._literal_list(right))
            else:
                operands.append(self.check(right))
            if isinstance(op, ast.Is | ast.IsNot):
                hint = "use '== None' / '!= None' to test whether a fact is known"
                return self.problem(node, f"'{_OP_TEXT[type(op)]}' is not allowed in a rule condition", hint)
        if any(o.type == "error" for o in operands):
            return _ERROR
        steps: list[Evaluator] = []
        for i, op in enumerate(node.ops):
            step = self._pair(node, op, operands[i], operands[i + 1])
            if step is None:
                return _ERROR
            steps.append(step)
        wits = [o.witness for o in operands if not o.constant]

        def witness(f: Facts, s: Scores, held: bool) -> list[str]:
            return [w for wit in wits for w in wit(f, s, held)]

        if len(steps) == 1:
            lhs, rhs = operands
            return _Typed("bool", steps[0], witness, self.source(node), guard=_lower_bound(node.ops[0], lhs, rhs),
                          safe=_cannot_raise(node.ops[0], lhs, rhs))
        chain = tuple(steps)

        def evaluate(f: Facts, s: Scores) -> bool:
            return all(step(f, s) for step in chain)

        return _Typed("bool", evaluate, witness, self.source(node))

    def _literal_list(self, node: ast.expr) -> _Typed:
        if not isinstance(node, ast.List | ast.Tuple):
            return self.problem(node, '\'in\' needs a literal list, e.g. in ["grooming", "csam"]')
        values: list[Any] = []
        kinds: set[str] = set()
        for element in node.elts:
            typed = self.check(element)
            if typed.type == "error":
                return _ERROR
            if not typed.constant or typed.type not in ("number", "str"):
                return self.problem(element, "a list after 'in' may hold only numbers or \"text\"")
            values.append(typed.value)
            kinds.add(typed.type)
        if not values:
            return self.problem(node, "the list after 'in' is empty")
        if len(kinds) > 1:
            return self.problem(node, "the list after 'in' mixes numbers and text")
        frozen = frozenset(values)
        text = self.source(node)
        elements = tuple(zip(values, node.elts, strict=True))
        return _Typed("list", lambda f, s: frozen, text=text, constant=True, value=(kinds.pop(), elements))

    def _pair(self, node: ast.Compare, op: ast.cmpop, left: _Typed, right: _Typed) -> Evaluator | None:
        """Type-check one comparison step and return its evaluator (``None`` after reporting a problem)."""
        symbol = _OP_TEXT[type(op)]
        lf, rf = left.evaluate, right.evaluate
        if left.constant and right.constant:
            self.problem(
                node, f"'{left.text} {symbol} {right.text}' compares two constants; it never changes"
            )
            return None
        if isinstance(op, ast.In | ast.NotIn):
            if left.constant:
                self.problem(node, f"the left side of '{symbol}' must be a fact or a function")
                return None
            item_type, items = right.value
            if left.type != item_type:
                self.problem(node, f"{left.describe()}, but the list holds {_plural(item_type)}")
                return None
            for item, element in items:
                self._check_value(element, left, item)
            members: frozenset[Any] = right.evaluate({}, {})
            if isinstance(op, ast.In):
                return lambda f, s: (v := lf(f, s)) is not None and v in members
            return lambda f, s: (v := lf(f, s)) is not None and v not in members
        if left.type == "none" or right.type == "none":
            other = right if left.type == "none" else left
            if not isinstance(op, ast.Eq | ast.NotEq) or not other.fact:
                self.problem(
                    node,
                    "None can only be compared with a fact, using '==' or '!='",
                    "'sender_age == None' holds when the sender's age is unknown",
                )
                return None
            of = other.evaluate
            if isinstance(op, ast.Eq):
                return lambda f, s: of(f, s) is None
            return lambda f, s: of(f, s) is not None
        if left.type != right.type:
            self.problem(
                node, f"cannot compare {left.label()} with {right.label()}", _mismatch_hint(left, right)
            )
            return None
        if isinstance(op, ast.Lt | ast.LtE | ast.Gt | ast.GtE):
            if left.type != "number":
                self.problem(
                    node, f"'{symbol}' needs numbers, but {left.describe()}", _mismatch_hint(left, right)
                )
                return None
            for a, b in ((left, right), (right, left)):
                if a.score and b.constant and not 0.0 <= b.value <= 1.0:
                    self.problem(node, f"scores are between 0 and 1, so '{self.source(node)}' never changes")
                    return None
            compare = _ORDERING[type(op)]
        else:
            compare = _EQUALITY[type(op)]
            for a, b in ((left, right), (right, left)):
                if b.constant and a.type == "str":
                    self._check_value(node, a, b.value)
        if right.constant:
            constant = right.value
            return lambda f, s: (v := lf(f, s)) is not None and compare(v, constant)
        if left.constant:
            constant = left.value
            return lambda f, s: (v := rf(f, s)) is not None and compare(constant, v)
        return lambda f, s: (a := lf(f, s)) is not None and (b := rf(f, s)) is not None and compare(a, b)

    def _check_value(self, node: ast.AST, typed: _Typed, value: Any) -> None:
        known = FACT_VALUES.get(typed.fact)
        if known is not None and value not in known:
            values = ", ".join(f'"{v}"' for v in sorted(known) if v)
            hint = suggest(str(value), known) or f"known values: {values}"
            self.problem(node, f"'{typed.fact}' is never \"{value}\"", hint)


def _lower_bound(op: ast.cmpop, left: _Typed, right: _Typed) -> frozenset[str] | None:
    """The guard of ``score >= c`` (c > 0) or ``score > c`` (c >= 0), either way round, and of the same with
    ``tactic_count``: it can only hold when one of the names the function reads scores above 0."""
    if isinstance(op, ast.Lt | ast.LtE):
        op, left, right = (ast.GtE() if isinstance(op, ast.LtE) else ast.Gt()), right, left
    if not (left.reads and right.constant and right.type == "number") or not isinstance(op, ast.Gt | ast.GtE):
        return None
    # When no name scores above 0, a score is 0.0 and tactic_count (counting scores >= min_score > 0) is 0.
    holds_at_zero = right.value < 0 if isinstance(op, ast.Gt) else right.value <= 0
    return None if holds_at_zero else left.reads


def _cannot_raise(op: ast.cmpop, left: _Typed, right: _Typed) -> bool:
    """Whether a comparison can raise for facts of an unexpected type (the rule would be skipped with an error)."""
    if isinstance(op, ast.Eq | ast.NotEq):
        return True
    numbers = all(side.reads or (side.constant and side.type == "number") for side in (left, right))
    return numbers and isinstance(op, ast.Lt | ast.LtE | ast.Gt | ast.GtE)


def _guard_of(op: ast.boolop, parts: Sequence[_Typed]) -> frozenset[str] | None:
    """``a and b``: the guard of the first part that has one, if every part before it cannot raise (skipping the
    rule then changes nothing, not even the errors reported); ``a or b``: the union, if every part has one."""
    if isinstance(op, ast.And):
        for part in parts:
            if part.guard is not None:
                return part.guard
            if not part.safe:
                return None
        return None
    if all(p.guard is not None for p in parts):
        return frozenset().union(*(p.guard for p in parts if p.guard is not None))
    return None


def _mismatch_hint(left: _Typed, right: _Typed) -> str:
    bool_side = left if left.type == "bool" else right if right.type == "bool" else None
    if bool_side is not None and bool_side.fact:
        return f"use '{bool_side.fact}' on its own, or 'not {bool_side.fact}'"
    if "str" in (left.type, right.type) and "number" in (left.type, right.type):
        return "numbers are written without quotes"
    return ""


def _plural(kind: str) -> str:
    return {"number": "numbers", "str": "text"}.get(kind, kind)


def _tactic_list() -> str:
    return "tactics are " + ", ".join(_TACTIC_LABELS)


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def _syntax_problem(text: str, error: SyntaxError, lead: int) -> ExpressionProblem:
    offset = max((error.offset or 1) - 1, 0)
    end = max((error.end_offset or error.offset or 1) - 1, offset + 1)
    message = error.msg or "invalid syntax"
    hint = ""
    if "Maybe you meant '=='" in message or (offset < len(text) and text[offset] == "="):
        message, hint = "invalid syntax", "use '==' to compare"
    elif "&&" in text or "||" in text:
        hint = "use 'and' / 'or' to combine conditions"
    elif "!" in text and "!=" not in text:
        hint = "use 'not' to negate a condition"
    return ExpressionProblem(offset + lead, end + lead, message, hint)
