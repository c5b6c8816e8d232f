"""Tactic lexicons: one module per language (``en``, ``nl``, ``de``, ``fr``) plus ``common`` (apps, emoji, numbers).

To add a language, copy ``nl.py``, translate the patterns from the taxonomy (not from any corpus), and add the
module to ``_LEXICONS`` in :mod:`waakhond.detectors.text.tactics`.
"""
