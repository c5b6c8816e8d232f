"""waakhond: a self-hostable child-safety engine.

Pipeline, one direction: events → detectors (signals) → memory (state) → policy (rules) → actions.
"""

__version__ = "0.1.0"
