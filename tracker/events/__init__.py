"""Events: dated things that happen to an AI system and start deadlines (a use, a breach ...).

``kinds`` holds the event kinds (the core ones and how plugins add theirs); recording events is
in :mod:`tracker.register`, and the duties each event triggers are judged by completeness
(:mod:`tracker.completeness.events`). This package imports nothing heavy, so that the
requirement definitions can use it.
"""
