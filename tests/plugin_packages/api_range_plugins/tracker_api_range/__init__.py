"""Plugins that declare (or do not declare) the plugin API versions they are written for."""

from tracker.plugin_api import Citation, Jurisdiction, Requirement

URL = "https://laws.example/api-range"


def jurisdiction(name: str) -> list[Jurisdiction]:
    return [Jurisdiction(name, f"Test jurisdiction {name}", "", URL)]


def requirement(name: str) -> list[Requirement]:
    return [
        Requirement(
            id=f"{name}.register_entry",
            title="Entry in a register",
            citation=Citation("Test Act", "s. 1", URL, "U"),
            evidence_kinds=("registration",),
        )
    ]
