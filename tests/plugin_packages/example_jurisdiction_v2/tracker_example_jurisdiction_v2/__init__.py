"""Version 2 of the example plugin (tests/plugin_packages/example_jurisdiction), for
`tracker plugins diff`: the register entry is due earlier and cites a wider article, the
ethics review is gone, and a bias audit is new.

Its module has a name of its own so that a test can load both versions in one process.
"""

from tracker.plugin_api import Citation, Jurisdiction, ProfileQuestion, Requirement, hookimpl

TRACKER_PLUGIN_API = ">=1,<2"

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
            citation=Citation(ACT, "s. 4(1)-(2)", URL, "V"),
            evidence_kinds=("registration",),
            applies_when='purpose_type == "law_enforcement"',
            due_before="testing",
            owner="legal",
        ),
        Requirement(
            id="ruritania.bias_audit",
            title="Bias audit before deployment",
            citation=Citation(ACT, "s. 11", URL, "P", "audit method set by regulation"),
            evidence_kinds=("audit",),
            applies_when="ruritania_national_database",
            due_before="deployment",
            owner="technology",
        ),
    ]
