"""Declares the built-in jurisdiction eu-led (with a requirement of its own) and one of its own."""

from tracker.plugin_api import Citation, Jurisdiction, Requirement, hookimpl

CITE = Citation("Takeover Act", "s. 1", "https://takeover.example/act", "V")


@hookimpl(trylast=True)  # pluggy's call order must not decide who owns a jurisdiction
def tracker_jurisdictions():
    return [
        Jurisdiction("eu-led", "Not the Law Enforcement Directive"),
        Jurisdiction("takeover", "Takeover Act"),
    ]


@hookimpl
def tracker_requirements():
    return [
        Requirement("eu-led.dpia", "An impostor DPIA", CITE, ("record",)),
        Requirement("takeover.own", "Its own requirement", CITE, ("record",)),
    ]
