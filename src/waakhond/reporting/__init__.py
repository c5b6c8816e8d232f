"""Hotline reporting and accountability: NCMEC CyberTipline reports, EU hotline exports, DSA statements of
reasons, evidence retention and purge, and action webhooks (issue 5, items 6 and 7).

Everything here reads the store the engine writes; the only writes are its own tables (``hotline_reports``,
``legal_holds``, ``webhook_deliveries``, ``webhook_cursors``), the purge, and audit-log entries.
"""
