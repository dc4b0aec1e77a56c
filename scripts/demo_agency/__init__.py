"""The demo agency's year, for ``scripts/demo_data.py``: its systems, its documents, the story
of the past twelve months, and the clock that lets that story be told with the real domain
functions as of the days it happened."""

# Who does what in the story: the legal team files, the DPO decides, the administrator sets up.
LEGAL, DPO, ADMIN = "l.martin", "d.okafor", "admin"
