"""Built-in jurisdiction plugins.

Each module is a plugin registered under the ``tracker.plugins`` entry-point
group in setup.cfg, exactly as a third-party package would register one; the
core imports none of them.
"""
