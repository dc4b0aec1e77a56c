"""The API contract, fuzzed: every operation of /api/openapi.json, on SQLite and PostgreSQL.

schemathesis reads the app's own OpenAPI document and runs its engine (what ``st run`` runs) in
process against the app (WSGI) with an admin token: the coverage phase (boundary and invalid
values for every parameter and body: huge integers, year 1 with an offset, NUL characters, wrong
types...) then the fuzzing phase (generated valid and invalid requests). Every answer is
checked: no server error, and a status code, content type, headers and body the document
describes. Bounded and repeatable: a fixed seed, deterministic generation, one worker, no
example database, no time limit per request.

(schemathesis' own pytest integration cannot be used: it sets ``Node._nodeid``, which pytest 9
no longer has.)

State-changing operations are fuzzed too, on the test's own database. Two requests would end
the run instead of testing anything, revoking the token the run is made with and changing the
admin user who holds it (deactivating it, changing its role): those are sent for the viewer's
token and user instead. No operation sends e-mail or shuts anything down; none is excluded.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events

from tracker.models import ApiToken

SEED = 20261127
# Fuzzing-phase cases per operation; the coverage phase adds its own boundary cases. Tuned so
# that both databases together take about two minutes on a shared two-core machine.
MAX_EXAMPLES = 10
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)


@pytest.fixture
def settings(settings):
    """The test's settings, without the API's per-token rate limit (TRACKER_API_RATE_LIMIT):
    the run sends thousands of requests with one token in a minute, which it would answer 429."""
    return dataclasses.replace(settings, api_rate_limit="1000000/minute")


def closing_when_read(wsgi_app):
    """The app as a WSGI server runs it: each response's iterable closed once read (PEP 3333),
    which schemathesis' in-process transport leaves undone; a downloaded file (an evidence
    pack's) then stays open until the garbage collector finds it."""

    def read_then_closed(iterable):
        try:
            yield from iterable
        finally:
            if hasattr(iterable, "close"):
                iterable.close()

    return lambda environ, start_response: read_then_closed(wsgi_app(environ, start_response))


def _token(secret: str) -> ApiToken:
    return ApiToken.get(ApiToken.prefix == secret[:12])


def fuzz(app, tokens: dict[str, str]) -> dict:
    """Run schemathesis over every operation; return what ran and every failure found."""
    config = SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            # no replay of an earlier run's failures (and nothing written to .schemathesis/)
            "cache": {"enabled": False},
            "workers": 1,
            "headers": {"Authorization": f"Bearer {tokens['admin']}"},
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
                "no-shrink": True,
            },
            "phases": {
                "examples": {"enabled": True},
                # no requests with unexpected methods (405s, checked in test_openapi.py) or
                # repeated query parameters: thousands of cases that test nothing here
                "coverage": {
                    "enabled": True,
                    "unexpected-methods": [],
                    "generate-duplicate-query-parameters": False,
                },
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "suppress-health-check": ["all"],
        }
    )
    app.wsgi_app = closing_when_read(app.wsgi_app)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=config)
    admin, viewer = _token(tokens["admin"]), _token(tokens["viewer"])

    def before_call(context, case, kwargs) -> None:
        # Send the two run-ending requests (see the module docstring) for the viewer instead.
        if case.operation.schema is not schema or case.method.upper() == "GET":
            return
        parameters = case.path_parameters or {}
        if str(parameters.get("token_id")) == str(admin.id):
            parameters["token_id"] = viewer.id
        if parameters.get("username") == admin.user.username:
            parameters["username"] = viewer.user.username

    # before_call is a global hook only: registered for this run, removed after it.
    schemathesis.hook(before_call)
    try:
        return _run(schema)
    finally:
        schemathesis.hooks.unregister(before_call)


def _run(schema) -> dict:
    operations, cases, statuses, failures, errors = set(), Counter(), Counter(), [], []
    started = time.monotonic()
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            operations.add(recorder.label)
            cases[event.phase.value] += len(recorder.cases)
            statuses.update(
                interaction.response.status_code
                for interaction in recorder.interactions.values()
                if interaction.response is not None
            )
            for checks in recorder.checks.values():
                for check in checks:
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        failure = check.failure_info.failure
                        failures.append(
                            (
                                recorder.label,
                                failure.title,
                                failure.message,
                                check.failure_info.code_sample,
                            )
                        )
        elif isinstance(event, events.NonFatalError):
            errors.append(f"{event.label}: {event.value!r}\n{event.info.format()}")
        elif isinstance(event, events.FatalError):
            errors.append(repr(event.exception))
    return {
        "operations": operations,
        "cases": cases,
        "statuses": statuses,
        "failures": failures,
        "errors": errors,
        "seconds": time.monotonic() - started,
    }


def test_every_operation_keeps_the_contract(app, tokens, database_url):
    result = fuzz(app, tokens)
    documented = {
        f"{method.upper()} {path}"
        for path, item in app.test_client().get("/api/openapi.json").json["paths"].items()
        for method in item
        if method in {"get", "put", "post", "patch", "delete"}
    }
    backend = database_url.split(":", 1)[0]
    print(
        f"\nschemathesis on {backend}: {len(result['operations'])} operations, "
        f"{result['cases'].total()} cases ({dict(result['cases'])}), {result['seconds']:.0f} s; "
        f"statuses {sorted(result['statuses'].items())}"
    )
    kinds = Counter((label, title) for label, title, _, _ in result["failures"])
    report = "\n".join(
        f"{count} x {title}: {label}" for (label, title), count in sorted(kinds.items())
    )
    examples = "\n\n".join(
        f"{label}: {title}\n{message}\n{sample}"
        for label, title, message, sample in result["failures"][:10]
    )
    assert not result["errors"], "\n\n".join(result["errors"])
    assert not result["failures"], f"{report}\n\nFirst failures:\n{examples}"
    assert result["operations"] == documented
    assert result["cases"].total() >= 10 * len(documented)
    # Not a run that tested nothing: requests got through, valid ones were carried out, and no
    # rate limit or lost credential answered in the API's place.
    statuses = result["statuses"]
    assert statuses[429] == 0 and statuses[401] < statuses.total() // 10, statuses
    assert sum(n for status, n in statuses.items() if status < 300) > statuses.total() // 10
