"""The (fictional) Ruritanian Police Algorithms Act 2026, as a tracker plugin.

This package is the worked example of docs/writing-a-plugin.md: it is installed
with pip like any third-party plugin and found through its entry point; the
tracker's core knows nothing about it.
"""

from datetime import date

from tracker.plugin_api import Citation, Jurisdiction, ProfileQuestion, Requirement, hookimpl

ACT = "Ruritanian Police Algorithms Act 2026"
URL = "https://laws.ruritania.example/police-algorithms-act-2026"


@hookimpl
def tracker_jurisdictions():
    return [
        Jurisdiction(
            "ruritania",
            "Ruritanian Police Algorithms Act 2026",
            "Register and review police algorithms.",
            URL,
        )
    ]


@hookimpl
def tracker_profile_questions():
    return [
        ProfileQuestion(
            "ruritania_national_database",
            "Does the system query the Ruritanian national police database?",
            "boolean",
            default=False,
        )
    ]


@hookimpl
def tracker_requirements():
    return [
        Requirement(
            id="ruritania.register_entry",
            title="Entry in the national algorithm register",
            citation=Citation(ACT, "s. 4(1)", URL, "V"),
            evidence_kinds=("registration",),
            applies_when='purpose_type == "law_enforcement"',
            due_before="deployment",
            owner="legal",
        ),
        Requirement(
            id="ruritania.ethics_review",
            title="Annual review by the Algorithms Ethics Board",
            citation=Citation(ACT, "s. 9(2)", URL, "P", "board procedures not yet published"),
            evidence_kinds=("audit",),
            applies_when='risk_level == "high" or ruritania_national_database',
            due_before="deployment",
            valid_for_months=12,
            recurrence="annual",
            in_force_from=date(2026, 7, 1),
            owner="oversight_committee",
        ),
    ]
