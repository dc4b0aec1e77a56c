"""Every page, in Chromium, at desktop (1366 px) and phone (375 px) width, on the demo agency.

For each page and width: a full-page screenshot in ``test-artifacts/screenshots/`` (the ones the
team looks at), no horizontal scroll of the page itself (wide tables scroll in their own box), and
axe-core (bundled by axe-playwright-python) finds no serious or critical violation of WCAG 2.x A/AA.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.browser.checks import serious_violations, sign_in
from tests.browser.conftest import SCREENSHOTS
from tracker.models import AISystem, Evidence, EvidenceFile, Operator, User, Waiver
from tracker.reminders import planning

WIDTHS = {"desktop": 1366, "phone": 375}


def first_id(model, *where) -> int:
    query = model.select(model.id).order_by(model.id)
    return (query.where(*where) if where else query).first().id


def system_id() -> int:
    return first_id(AISystem, AISystem.retired_at.is_null())


def operator_path(action: str) -> str:
    operator = Operator.select().where(Operator.removed_at.is_null()).order_by(Operator.id).first()
    return f"/systems/{operator.system_id}/operators/{operator.id}/{action}"


def unsubscribe_path() -> str:
    person = User.get(User.username == "dpo.web")
    return f"/unsubscribe/{planning.preference_for(person.email).unsubscribe_token}"


# (endpoint, role or None for the public, path maker): paths are built once the demo is seeded.
PAGES: list[tuple[str, str | None, Callable[[], str]]] = [
    ("session.sign_in_page", None, lambda: "/sign-in"),
    ("public.index", None, lambda: "/register"),
    ("public.system", None, lambda: f"/register/{first_id(AISystem, AISystem.published)}"),
    ("public.about", None, lambda: "/register/about"),
    ("unsubscribe.page", None, unsubscribe_path),
    ("portfolio.dashboard", "dpo", lambda: "/portfolio"),
    ("portfolio.dashboard", "dpo", lambda: "/portfolio?view=frameworks"),
    ("system_pages.show", "dpo", lambda: f"/systems/{system_id()}"),
    ("system_pages.edit", "legal", lambda: f"/systems/{system_id()}/edit"),
    ("registration_pages.new", "legal", lambda: "/systems/new"),
    ("registration_pages.import_register", "legal", lambda: "/systems/import"),
    ("registration_pages.retire", "legal", lambda: f"/systems/{system_id()}/retire"),
    ("operator_pages.manage", "legal", lambda: f"/systems/{system_id()}/operators"),
    ("operator_pages.edit", "legal", lambda: operator_path("edit")),
    ("operator_pages.remove", "legal", lambda: operator_path("remove")),
    (
        "operator_pages.import_operators",
        "legal",
        lambda: f"/systems/{system_id()}/operators/import",
    ),
    ("evidence_pages.upload", "legal", lambda: "/evidence/new"),
    ("evidence_pages.upload", "legal", lambda: f"/evidence/new?system_ids={system_id()}"),
    ("evidence_pages.show", "dpo", lambda: f"/evidence/{first_id(Evidence)}"),
    ("review_pages.queue", "dpo", lambda: "/reviews"),
    ("review_pages.waiver_list", "dpo", lambda: "/waivers"),
    ("review_pages.waiver_page", "dpo", lambda: f"/waivers/{first_id(Waiver)}"),
    ("activity.reminders", "dpo", lambda: "/reminders"),
    ("activity.trail", "auditor", lambda: "/audit"),
    ("account.page", "viewer", lambda: "/account"),
    ("users.index", "admin", lambda: "/users"),
    ("users.show", "admin", lambda: f"/users/{first_id(User)}"),
    ("agency_pages.settings", "admin", lambda: "/agency"),
]
# GET endpoints that are not pages: files, data, fragments and redirects.
NOT_PAGES = {
    "static", "session.static", "agency_pages.logo", "activity.trail_csv",
    "evidence_pages.download", "evidence_pages.choices", "portfolio.home",
    "portfolio.export_csv", "operator_pages.template", "registration_pages.import_template",
    "pack_pages.download", "public.pack_signing_key",
    "operations_health.healthz", "operations_health.readyz", "operations_metrics",
}  # fmt: skip
NOT_PAGE_SUFFIXES = (".csv", ".json", ".pdf")


def test_every_page_of_the_app_is_in_the_list(app):
    """A new page fails here until it is added to PAGES, so none escapes the checks below."""
    pages = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and not rule.rule.startswith("/api")
        and not rule.rule.endswith(NOT_PAGE_SUFFIXES)
        and not rule.endpoint.startswith("public.legacy")
        and rule.endpoint not in NOT_PAGES
    }
    assert pages == {endpoint for endpoint, _, _ in PAGES}


@pytest.fixture
def demo_site(people, live_server, demo_agency) -> str:
    assert EvidenceFile.select().count() and User.select().count()
    return live_server


def visit_every_page(browser, base: str, people: dict[str, str], language: str) -> list[str]:
    problems = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    suffix = "" if language == "en" else f"-{language}"
    # Each role signs in once (an argon2 check and a portfolio page each time): the browser at
    # the next width starts afresh with the cookies that sign-in gave.
    sessions: dict[str | None, dict] = {}
    for width in WIDTHS.values():
        contexts = {}
        try:
            for endpoint, role, path in PAGES:
                address = path()
                # named by endpoint and place in the list: stable across runs (no token in it)
                name = f"{PAGES.index((endpoint, role, path)):02d}-{endpoint.replace('.', '-')}"
                if role not in contexts:
                    context = browser.new_context(
                        viewport={"width": width, "height": 900},
                        locale=language,
                        storage_state=sessions.get(role),
                    )
                    contexts[role] = context.new_page()
                    contexts[role].set_default_timeout(15_000)
                    if role and role not in sessions:
                        sign_in(contexts[role], base, people[role])
                        sessions[role] = context.storage_state()
                page = contexts[role]
                response = page.goto(base + address)
                if response.status != 200:
                    problems.append(f"{name}: HTTP {response.status}")
                    continue
                page.screenshot(
                    path=str(SCREENSHOTS / f"page-{name}{suffix}-{width}.png"), full_page=True
                )
                overflow = page.evaluate(
                    "document.scrollingElement.scrollWidth - window.innerWidth"
                )
                if overflow > 1:
                    problems.append(f"{name} at {width} px scrolls sideways by {overflow} px")
                problems += [f"{name} at {width} px: {v}" for v in serious_violations(page)]
        finally:
            for page in contexts.values():
                page.context.close()
    return problems


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_page_is_accessible_and_fits_desktop_and_phone(browser, demo_site, people, language):
    problems = visit_every_page(browser, demo_site, people, language)
    assert not problems, "\n".join(problems)
