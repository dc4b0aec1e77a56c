"""AI Evidence Tracker: evidence the law requires for AI systems used by law enforcement."""

__version__ = "0.1.0"
