"""A plugin that imports fine but marks none of its hooks with @hookimpl: it provides nothing."""

from tracker.plugin_api import Citation, Jurisdiction, Requirement


def tracker_jurisdictions():
    return [Jurisdiction("unmarked", "Unmarked Act")]


def tracker_requirements():
    return [
        Requirement(
            "unmarked.duty",
            "A duty nobody will see",
            Citation("Unmarked Act", "s. 1", "https://unmarked.example", "V"),
            ("record",),
        )
    ]
