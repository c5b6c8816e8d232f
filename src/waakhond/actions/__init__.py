"""Stage 5 of the pipeline: actions and the decision that carries them."""

from waakhond.actions.model import Action, ActionType, Decision, Priority, RuleHit, verdict_of

__all__ = ["Action", "ActionType", "Decision", "Priority", "RuleHit", "verdict_of"]
