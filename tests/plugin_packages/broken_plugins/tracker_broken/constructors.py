"""A plugin whose definitions are built with wrong arguments, misspelt facts and unknown kinds.

Each bad call must cost only its own definition: the sound requirement beside them loads.
"""

from tracker.plugin_api import Citation, Jurisdiction, Requirement, hookimpl

URL = "https://constructed.example/act"
CITE = Citation("Constructed Act", "s. 1", URL, "V")


@hookimpl
def tracker_jurisdictions():
    return [Jurisdiction("constructed", "Constructed Act"), Jurisdiction("constructed-2")]


@hookimpl
def tracker_requirements():
    return [
        Requirement("constructed.fine", "A sound requirement", CITE, ("record",)),
        Requirement(  # line reported for the misspelt keyword
            "constructed.keyword",
            "A misspelt keyword",
            CITE,
            evidence_kind=("record",),
        ),
        Requirement("constructed.missing", "No citation given", evidence_kinds=("record",)),
        Requirement(
            "constructed.bad_citation",
            "A citation without its verification",
            Citation("Constructed Act", "s. 2", URL),  # line reported for the citation
            ("record",),
        ),
        Requirement(
            "constructed.fact",
            "A misspelt fact",
            CITE,
            ("record",),
            applies_when='risk_levle == "high"',
        ),
        Requirement("constructed.kind", "A misspelt kind", CITE, ("polcy",)),
        Requirement("constructed.types", None, CITE, "record"),
    ]


def tracker_profile_questions():  # forgot @hookimpl: reported, never called
    return []
