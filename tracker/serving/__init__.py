"""The production HTTP server behind ``tracker serve``.

- :mod:`~tracker.serving.server`: gunicorn workers that gather request heads without a thread
  and hand complete ones to their threads;
- :mod:`~tracker.serving.turns`: how many of a worker's requests compute at once, in what
  order, and when a request steps out of its turn (waiting on its client);
- :mod:`~tracker.serving.shares`: each worker's connections, seen by its siblings, so that none
  keeps more than its share.
"""
