"""Built-in jurisdiction plugins.

Each module is a plugin registered under the ``tracker.plugins`` entry-point
group in setup.cfg, exactly as a third-party package would register one; the
core imports none of them. Each ships its translations as a third-party plugin
would: ``translations/<language>/LC_MESSAGES/<module>.po`` (``make translations``
adds new texts there) and the ``.mo`` compiled from it.
"""

from pathlib import Path

from tracker.plugin_api import MessageCatalogue

TRANSLATIONS = Path(__file__).parent / "translations"


def translations_of(module_name: str) -> list[MessageCatalogue]:
    """A built-in plugin's catalogue, named after its module (``plugins.nis2`` -> ``nis2``)."""
    return [MessageCatalogue(TRANSLATIONS, module_name.rsplit(".", 1)[-1])]
