"""Stage 4 of the pipeline: declarative rules turn signals and facts into actions, each decision explained.

    >>> from waakhond.policy import Policy
    >>> policy = Policy.load()                    # the shipped safe defaults (default_rules.yaml)
    >>> policy.evaluate([], {"recipient_is_minor": True}).verdict.value
    'allow'

Write your own rules with the guide in ``docs/policy.md``; a bad file is refused with every problem listed.
"""

from waakhond.policy.active import ActivePolicy
from waakhond.policy.language import Expression, ExpressionError, compile_expression
from waakhond.policy.rules import (
    DEFAULT_RULES,
    ActionSpec,
    Policy,
    PolicyError,
    PolicyProblem,
    PolicyResult,
    Rule,
)

__all__ = [
    "DEFAULT_RULES",
    "ActionSpec",
    "ActivePolicy",
    "Expression",
    "ExpressionError",
    "Policy",
    "PolicyError",
    "PolicyProblem",
    "PolicyResult",
    "Rule",
    "compile_expression",
]
