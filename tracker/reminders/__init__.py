"""Reminders: derived from completeness, planned per person, logged, then mailed exactly once in effect.

``items`` decides what needs a reminder on a date and for whom; ``planning``
turns items into per-person notifications with idempotency keys and applies
preferences; ``ledger`` records and claims them; ``mail`` renders and sends
digests over SMTP; ``jobs`` runs all of it on RQ. Only ``jobs`` knows about RQ.
"""
