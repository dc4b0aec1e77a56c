"""A plugin with one sound requirement and several broken ones."""

from tracker.plugin_api import Citation, Jurisdiction, Requirement, hookimpl

CITE = Citation("Broken Act", "s. 1", "https://broken.example/act", "V")


@hookimpl
def tracker_jurisdictions():
    return [Jurisdiction("broken", "Broken Act")]


@hookimpl
def tracker_requirements():
    return [
        Requirement("broken.fine", "A sound requirement", CITE, ("record",)),
        Requirement("broken.fine", "The same id again", CITE, ("record",)),
        Requirement("broken.kind", "Unknown evidence kind", CITE, ("horoscope",)),
        Requirement(
            "broken.no_citation", "No citation", Citation("Broken Act", "", "", "V"), ("record",)
        ),
        Requirement(
            "broken.bad_rule", "Bad rule", CITE, ("record",), applies_when="risk_level ==== 'high'"
        ),
        Requirement(
            "broken.never",
            "Rule that never applies",
            CITE,
            ("record",),
            applies_when='risk_level == "severe"',
        ),
        Requirement("Broken Id", "Bad id", CITE, ("record",)),
        Requirement("eu-led.dpia", "Someone else's requirement", CITE, ("record",)),
    ]
