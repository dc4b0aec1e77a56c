"""The system page, ordered by what to do next: a summary, the blocking requirements in words
grouped by owner with overdue first, every enum in words, a legend for the marks, and a chart
replayed from one load (a fixed number of queries however many dates it has)."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta

import pytest

from tests.conftest import DEPLOYMENT
from tests.factories import profile
from tests.web.queries import counted
from tracker import accounts, completeness, db, i18n, register, requirements
from tracker.completeness import history
from tracker.completeness.overdue import action_counts, stage_overdue
from tracker.db import utcnow
from tracker.models import AISystem, Evidence, EvidenceReview, EvidenceSystem, User
from tracker.plugin_host import load_catalogue
from tracker.portfolio import answers, chart_points
from tracker.runtime import runtime
from tracker.web import page_formats, system_view


@pytest.fixture
def agency(people, demo_agency):
    return {s.name: s for s in AISystem.select()}


@pytest.fixture
def catalogue():
    return load_catalogue(deployment=DEPLOYMENT)


def text_of(fragment: str) -> str:
    """What a reader sees: no tags, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def section(page: str, element_id: str) -> str:
    start = page.index(f'id="{element_id}"')
    start = page.rindex("<section", 0, start)
    depth, position = 0, start
    for match in re.finditer(r"<(/?)section\b", page[start:]):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            position = start + match.end()
            break
    return page[start:position]


def registered(catalogue, days_ago: int = 0, **overrides) -> AISystem:
    system = register.create_system(profile(**overrides), "test", catalogue)
    if days_ago:
        AISystem.update(created_at=utcnow() - timedelta(days=days_ago)).where(
            AISystem.id == system.id
        ).execute()
    return AISystem.get_by_id(system.id)


def test_the_summary_comes_first_then_what_to_do_next(sign_in_as, agency):
    live = agency["Live facial recognition on body-worn cameras"]
    page = sign_in_as("legal").get(f"/systems/{live.id}").text
    order = [
        'class="system-summary"',
        'id="blocking"',
        'id="events"',
        'id="requirements"',
        'id="operators"',
        'id="history"',
        'id="profile"',
        'id="legend"',
    ]
    positions = [page.index(marker) for marker in order]
    assert positions == sorted(positions)
    summary = text_of(page[positions[0] : positions[1]])
    # The readiness in one sentence, with its reasons counted; the stage by its label.
    assert re.search(
        r"Not ready for Deployment and use: \d+ requirements due before it are not met "
        r"\([^)]*missing[^)]*\)\.",
        summary,
    ), summary


def test_the_counts_are_the_portfolios_and_link_to_what_they_count(sign_in_as, agency, catalogue):
    viewer = sign_in_as("viewer")
    for system in agency.values():
        result = completeness.for_system(system.id, date.today(), catalogue)
        overdue = stage_overdue(result, catalogue)
        expected = {k: n for k, n in action_counts(result, overdue).items() if n}
        page = viewer.get(f"/systems/{system.id}").text
        counts = dict(
            (status, int(number))
            for status, number in re.findall(
                r'<a class="status s-(\w+)"[^>]*>([\d,]+) [^<]*</a>', page
            )
        )
        assert {k: counts.get(k, 0) for k in expected} == expected, system.name
        if "missing" in counts:
            filtered = viewer.get(f"/systems/{system.id}?status=missing").text
            listed = re.findall(r'<tr id="requirement-([^"]+)"', section(filtered, "requirements"))
            assert len(listed) == counts["missing"]
            for requirement_id in listed:
                item = next(i for i in result.items if i.requirement_id == requirement_id)
                assert item.status == "missing" and requirement_id not in overdue
            assert "Show all" in filtered


def test_blocking_requirements_are_grouped_by_owner_with_overdue_first(
    sign_in_as, agency, catalogue
):
    some_overdue = False
    for system in agency.values():
        result = completeness.for_system(system.id, date.today(), catalogue)
        overdue = stage_overdue(result, catalogue)
        page = sign_in_as("dpo").get(f"/systems/{system.id}").text
        blocking = [i for i in result.items if i.blocking]
        if not blocking:
            continue
        groups = re.findall(
            r'<h3 id="owner-(\w+)">(.*?)</h3>\s*<ul class="todo">(.*?)</ul>',
            section(page, "blocking"),
            re.S,
        )
        assert sorted(owner for owner, _, _ in groups) == sorted({i.owner for i in blocking})
        listed = []
        for owner, heading, lines in groups:
            assert text_of(heading).startswith(system_view.owner_label(owner))
            ids = re.findall(r'<li id="next-([^"]+)"( class="is-overdue")?', lines)
            flags = [bool(flag) for _, flag in ids]
            assert flags == sorted(flags, reverse=True), (system.name, owner)  # overdue first
            for requirement_id, flag in ids:
                item = next(i for i in blocking if i.requirement_id == requirement_id)
                assert item.owner == owner
                assert bool(flag) == (requirement_id in overdue or item.status == "overdue")
            listed += [requirement_id for requirement_id, _ in ids]
            some_overdue = some_overdue or any(flags)
        assert sorted(listed) == sorted(i.requirement_id for i in blocking)
        # Groups with something overdue come before the others.
        has_overdue = ['class="is-overdue"' in lines for _, _, lines in groups]
        assert has_overdue == sorted(has_overdue, reverse=True)
    assert some_overdue


def test_each_line_says_it_in_words_with_the_identifier_small(sign_in_as, catalogue):
    system = registered(catalogue, lifecycle_stage="monitoring", jurisdictions=["eu-led"])
    page = sign_in_as("viewer").get(f"/systems/{system.id}").text
    line = re.search(r'<li id="next-eu-led.dpia"[^>]*>(.*?)</li>', page, re.S)
    assert line and 'class="is-overdue"' in line.group(0)
    assert text_of(line.group(1)).startswith(
        "Data protection impact assessment (LED) (EU Law Enforcement Directive 2016/680, "
        "Art 27(1)-(2)): missing, due before Deployment and use, overdue since the system "
        "entered Deployment and use. eu-led.dpia V"
    )
    assert '<code class="rid">eu-led.dpia</code>' in line.group(1)
    assert '<a class="verification" href="#legend"' in line.group(1)
    # Not overdue yet: due before the next stage only.
    testing = registered(catalogue, lifecycle_stage="testing", jurisdictions=["eu-led"])
    page = sign_in_as("viewer").get(f"/systems/{testing.id}").text
    line = re.search(r'<li id="next-eu-led.dpia"[^>]*>(.*?)</li>', page, re.S).group(0)
    assert "is-overdue" not in line and "overdue since" not in line
    assert "missing, due before Deployment and use." in text_of(line)
    # No raw stage code anywhere a reader looks.
    assert "due before deployment" not in page and "development_or_procurement" not in text_of(page)


def test_the_profile_shows_every_value_in_words(sign_in_as, catalogue):
    system = registered(
        catalogue,
        development_approach="off_the_shelf",
        ai_act_roles=["provider", "deployer"],
        annex_iii_areas=["biometrics", "law_enforcement"],
        people_affected=["suspects", "public"],
        countries=["BE", "FR"],
        jurisdictions=["eu-led", "eu-ai-act"],
        profiling=True,
    )
    page = sign_in_as("viewer").get(f"/systems/{system.id}").text
    shown = text_of(section(page, "profile"))
    for code in (
        "off_the_shelf",
        "post_event",
        "law_enforcement",
        "deployer",
        "biometrics",
        "eu-led",
        "True",
        "False",
        "{",
        "[",
    ):
        assert code not in shown, code
    for words in (
        "Procured off the shelf",
        "Post-event remote biometric identification",
        "Law-enforcement purpose (Law Enforcement Directive)",
        "Provider (develops or puts into service under its own name)",
        "1. Biometrics",
        "6. Law enforcement",
        "Suspects",
        "Belgium",
        "France",
        "EU Law Enforcement Directive 2016/680",
        "Ana Duarte <ana.duarte@police.example>, system owner",
        "Yes",
    ):
        assert words in shown, words


def test_the_legend_explains_every_mark_shown(sign_in_as, agency):
    page = sign_in_as("viewer").get(f"/systems/{agency['Crime report chatbot'].id}").text
    legend = text_of(section(page, "legend"))
    for code, meaning in system_view.VERIFICATION_LEGEND.items():
        assert f"{code} {meaning}" in legend
    marks = set(
        re.findall(r'<a class="verification" href="#legend" title="[^"]+">([^<]+)</a>', page)
    )
    assert marks and marks <= set(system_view.VERIFICATION_LEGEND)


def test_labels_cover_every_owner_and_mark_the_catalogue_knows():
    assert set(system_view.OWNER_LABELS) == set(requirements.OWNERS)
    assert set(system_view.VERIFICATION_LEGEND) == set(requirements.VERIFICATION)


def count_queries(call):
    with counted(db.database.obj) as sent:  # the app binds its own connection
        response = call()
    assert response.status_code == 200
    return len(sent)


def with_evidence(system, count: int) -> None:
    reviewer = accounts.get_user("dpo.web")
    items = completeness.for_system(system.id, date.today(), load_catalogue()).items
    for n in range(count):
        item = items[n % len(items)]
        evidence = Evidence.create(
            lineage=-n - 1, kind="record", title=f"Item {n}", requirement_ids=[item.requirement_id]
        )
        Evidence.update(lineage=evidence.id).where(Evidence.id == evidence.id).execute()
        EvidenceSystem.create(evidence=evidence, system=system)
        if n % 2:
            EvidenceReview.create(
                evidence=evidence, decision="accepted", reviewer=reviewer, decided_at=utcnow()
            )


def test_the_page_reads_a_fixed_number_of_queries_however_many_dates_and_items(
    sign_in_as, catalogue
):
    viewer = sign_in_as("viewer")
    new = registered(catalogue, name="Registered today")
    old = registered(catalogue, days_ago=800, name="Registered long ago")
    with_evidence(old, 30)
    viewer.get(f"/systems/{new.id}")  # the first request of a session loads what it caches
    today = count_queries(lambda: viewer.get(f"/systems/{new.id}"))
    long_ago = count_queries(lambda: viewer.get(f"/systems/{old.id}"))
    page = viewer.get(f"/systems/{old.id}").text
    assert len(re.findall(r'<circle [^>]*class="dot"', page)) == 13  # twelve months and today
    # The signed-in user, the system, its timeline (7: audit trail, events, operators,
    # evidence linked and agency-wide, reviews, waivers), recent events, and the agency
    # base.html shows. A system registered today has no past point: it asks for today's kept
    # answer (none is kept here). One with days before today asks for its kept chart points
    # instead, and for the answer only when they are all kept (here none is: it replays).
    assert today <= 12
    assert long_ago == today


def test_the_chart_reads_its_kept_points_and_replays_only_the_others(
    sign_in_as, catalogue, app, monkeypatch
):
    old = registered(catalogue, days_ago=800, name="Registered long ago")
    recent = registered(catalogue, days_ago=70, name="Registered ten weeks ago")
    with_evidence(old, 12)
    viewer = sign_in_as("viewer")
    replayed = []
    original = history.evaluate_timeline

    def noting(timeline, dates, *args, **kwargs):
        dates = list(dates)
        replayed.append(sorted(dates))
        return original(timeline, dates, *args, **kwargs)

    monkeypatch.setattr(history, "evaluate_timeline", noting)

    def figures(system: AISystem) -> str:
        return section(viewer.get(f"/systems/{system.id}").text, "history")

    before = {system.id: figures(system) for system in (old, recent)}
    today = date.today()
    assert replayed[0] == history.chart_dates(old.created_at.date(), today)
    with app.app_context():
        state = runtime()
        chart_points.refresh(today, state.catalogue, state.settings.expiring_soon_days)
    replayed.clear()
    assert {system.id: figures(system) for system in (old, recent)} == before
    # Today alone (the answer is not kept here): the recent system's chart starts on the day
    # it was registered, and that point is kept too.
    assert replayed == [[today], [today]]
    # A write to the old system: its points are stale, so the page replays them again.
    register.update_system(old, {"risk_level": "low"}, "test", catalogue)
    replayed.clear()
    figures(old)
    assert replayed == [history.chart_dates(old.created_at.date(), today)]


def test_the_page_reads_todays_kept_answer_and_shows_what_it_replays(
    sign_in_as, agency, people, app, monkeypatch
):
    """With today's answer and the chart's points kept, the page replays nothing and shows,
    in each reader's language, exactly the page it replays without them."""
    User.update(language="fr").where(User.username == people["dpo"]).execute()
    readers = {"en": sign_in_as("legal"), "fr": sign_in_as("dpo")}
    replayed = []
    original = history.evaluate_timeline

    def noting(timeline, dates, *args, **kwargs):
        dates = list(dates)
        replayed.append(dates)
        return original(timeline, dates, *args, **kwargs)

    monkeypatch.setattr(history, "evaluate_timeline", noting)

    def pages() -> dict[tuple[str, int], str]:
        shown = {}
        for language, reader in readers.items():
            for system in agency.values():
                page = reader.get(f"/systems/{system.id}").text
                # What differs between two requests anyway: form tokens, the event form's now.
                page = re.sub(r'name="csrf_token" value="[^"]*"', "", page)
                page = re.sub(r'value="\d{4}-\d\d-\d\dT\d\d:\d\d"', "", page)
                shown[language, system.id] = page
        return shown

    for reader in readers.values():
        reader.get("/portfolio")  # the "signed in" message shown
    replayed_pages = pages()
    assert len(replayed) == 2 * len(agency)
    assert "Exigences" in replayed_pages["fr", next(iter(agency.values())).id]
    with app.app_context():
        state = runtime()
        today, days = date.today(), state.settings.expiring_soon_days
        chart_points.refresh(today, state.catalogue, days)
        assert answers.refresh(today, state.catalogue, days) == len(agency)
    replayed.clear()
    assert pages() == replayed_pages
    assert replayed == []
    # A write: that system's kept answer is stale, so its page replays again, and shows it.
    system = next(iter(agency.values()))
    risk = "low" if system.risk_level != "low" else "high"
    register.update_system(system, {"risk_level": risk}, "test", runtime_catalogue(app))
    page = readers["en"].get(f"/systems/{system.id}").text
    assert replayed and f"Risk: {risk.capitalize()}" in page


def runtime_catalogue(app):
    with app.app_context():
        return runtime().catalogue


def test_a_system_registered_today_says_where_its_history_starts(sign_in_as, catalogue):
    system = registered(catalogue, name="Brand new")
    page = sign_in_as("viewer").get(f"/systems/{system.id}").text
    chart = text_of(section(page, "history"))
    assert "History starts on" in chart and "<svg" not in section(page, "history")


def test_the_operators_link_appears_only_where_the_page_exists(
    sign_in_as, catalogue, app, monkeypatch
):
    system = registered(catalogue)
    legal = sign_in_as("legal")
    page = legal.get(f"/systems/{system.id}").text
    if "operator_pages.manage" in app.view_functions:
        assert f'href="/systems/{system.id}/operators"' in page
    monkeypatch.delitem(app.view_functions, "operator_pages.manage", raising=False)
    page = legal.get(f"/systems/{system.id}").text
    assert "Manage operators" not in page and "Operators and their certificates" in page


def test_the_pages_date_formatter_writes_what_the_day_filter_writes():
    for language in i18n.LANGUAGES:
        with i18n.using(language):
            day = page_formats.day_formatter()
            for offset in range(0, 800, 29):
                value = date(2025, 1, 1) + timedelta(days=offset)
                assert day(value) == i18n.format_day(value)
            moment = datetime(2026, 3, 1, 23, 30)
            assert day(moment) == i18n.format_day(moment) and day(None) == ""


def test_the_page_speaks_the_readers_language(sign_in_as, agency, people):
    User.update(language="fr").where(User.username == people["dpo"]).execute()
    live = agency["Live facial recognition on body-worn cameras"]
    page = sign_in_as("dpo").get(f"/systems/{live.id}")
    assert page.status_code == 200 and '<html lang="fr">' in page.text
    # Dates in French wherever the page writes one.
    assert re.search(
        r"\d{1,2} (janv\.|févr\.|mars|avr\.|mai|juin|juil\.|août|sept\.|oct\.|nov\.|déc\.) 20\d\d",
        page.text,
    )
