"""The portfolio answers "where do I act?": overdue apart from missing, counts that link to the
system, risk and stage, an as-of date, a CSV of exactly what is shown, frameworks aside."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest

from tests.conftest import DEPLOYMENT
from tracker import completeness
from tracker.models import AISystem
from tracker.plugin_host import load_catalogue
from tracker.web.portfolio import STAGE_INDEX, row_of, stage_overdue


@pytest.fixture
def agency(people, demo_agency):
    return {s.name: s for s in AISystem.select()}


def table_rows(page: str) -> list[str]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    return [row for row in rows if "No system matches." not in row]


def counts_of(row_html: str) -> dict[str, int]:
    cells = re.findall(r'<td class="count c-(\w+)">(.*?)</td>', row_html, re.S)
    return {key: int(re.sub(r"<[^>]+>", "", text).strip()) for key, text in cells}


def overdue_from_items(result) -> dict[str, str]:
    """The definition applied to a detailed evaluation: blocking, not owed per event, due before
    the system's current stage or an earlier one."""
    current = STAGE_INDEX[result.lifecycle_stage]
    return {
        item.requirement_id: item.status
        for item in result.items
        if item.blocking
        and item.due_before
        and STAGE_INDEX[item.due_before] <= current
        and item.status != "overdue"  # event-triggered rows: counted per duty instead
    }


@pytest.mark.parametrize("days_ago", [0, 200])
def test_overdue_by_stage_from_summaries_agrees_with_the_detailed_items(agency, days_ago):
    catalogue = load_catalogue(deployment=DEPLOYMENT)
    as_of = date.today() - timedelta(days=days_ago)
    summaries = completeness.for_portfolio(as_of, catalogue)
    detailed = {r.system_id: r for r in completeness.for_portfolio(as_of, catalogue, detail=True)}
    found_any = False
    for summary in summaries:
        detail = detailed[summary.system_id]
        expected = {
            rid: status
            for rid, status in overdue_from_items(detail).items()
            if not catalogue.requirements[rid].deadline_after_event
        }
        assert stage_overdue(summary, catalogue) == expected, summary.name
        found_any = found_any or bool(expected)
        row = row_of(summary, "high", catalogue)
        assert row.counts["overdue"] == len(expected) + summary.event_counts["overdue"]
        # Each requirement counted once: an overdue missing one is not "merely missing".
        missing_overdue = sum(1 for s in expected.values() if s == "missing")
        assert row.counts["missing"] == summary.overall.counts["missing"] - missing_overdue
    if days_ago == 0:
        assert found_any, "the demo should have a system past a stage it was not ready for"


def test_a_requirement_due_before_the_next_stage_only_blocks_but_is_not_overdue(agency):
    catalogue = load_catalogue(deployment=DEPLOYMENT)
    for result in completeness.for_portfolio(date.today(), catalogue, detail=True):
        overdue = stage_overdue(result, catalogue)
        for item in result.items:
            if item.blocking and item.due_before == result.next_stage:
                assert item.requirement_id not in overdue


def test_the_main_table_shows_risk_stage_and_each_count_as_a_link(sign_in_as, agency):
    page = sign_in_as("viewer").get("/portfolio").text
    rows = table_rows(page)
    assert len(rows) == len(agency)
    catalogue = load_catalogue(deployment=DEPLOYMENT)
    summaries = {r.name: r for r in completeness.for_portfolio(date.today(), catalogue)}
    some_overdue = False
    for row_html in rows:
        name = re.search(r'<th scope="row"><a href="/systems/\d+">(.*?)</a>', row_html).group(1)
        name = name.replace("&#39;", "'").replace("&amp;", "&")
        system = agency[name]
        expected = row_of(summaries[name], system.risk_level, catalogue).counts
        assert counts_of(row_html) == expected, name
        assert f"<td>{system.risk_level.capitalize()}</td>" in row_html
        for key, n in expected.items():
            if n:
                anchor = "(blocking|events)" if key == "overdue" else "requirements"
                link = rf'<td class="count c-{key}">\s*<a href="/systems/{system.id}#{anchor}"'
                assert re.search(link, row_html), (name, key)
        some_overdue = some_overdue or expected["overdue"] > 0
    assert some_overdue
    # Overdue stands apart: its own column group, marked rows.
    assert 'class="act-now">Act now' in page and 'class="has-overdue"' in page
    # The frameworks' percentages are not in the main table.
    for jurisdiction in catalogue.jurisdictions.values():
        assert f">{jurisdiction.title}</th>" not in page


def test_the_frameworks_view_keeps_the_percentages_with_n_a(sign_in_as, agency):
    page = sign_in_as("viewer").get("/portfolio?view=frameworks").text
    catalogue = load_catalogue(deployment=DEPLOYMENT)
    results = completeness.for_portfolio(date.today(), catalogue)
    titles = {catalogue.jurisdictions[f].title for r in results for f in r.frameworks}
    for title in titles:
        assert f">{title}</th>" in page
    if any(s.percent is None for r in results for s in r.frameworks.values()):
        assert "<td>n/a</td>" in page
    assert 'class="count c-overdue"' not in page


def test_filters_sort_and_as_of_apply_to_the_page(sign_in_as, agency):
    viewer = sign_in_as("viewer")
    high = [s.name for s in agency.values() if s.risk_level == "high"]
    page = viewer.get("/portfolio?risk=high").text
    assert len(table_rows(page)) == len(high)
    page = viewer.get("/portfolio?sort=overdue&order=desc").text
    firsts = [counts_of(r)["overdue"] for r in table_rows(page)]
    assert firsts == sorted(firsts, reverse=True) and firsts[0] > 0
    past = date.today() - timedelta(days=200)
    page = viewer.get(f"/portfolio?as_of={past.isoformat()}")
    assert page.status_code == 200
    assert f"as of {past:%d %b %Y}" in page.text
    assert f'value="{past.isoformat()}"' in page.text


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01", "20260101", "2026-02-30"])
def test_a_bad_as_of_date_is_a_plain_message_not_an_error_page(sign_in_as, agency, bad):
    viewer = sign_in_as("viewer")
    page = viewer.get(f"/portfolio?as_of={bad}")
    assert page.status_code == 400
    assert f"as_of: &#39;{bad}&#39; is not a date; give it as YYYY-MM-DD" in page.text
    assert "<tbody>" not in page.text and 'name="as_of"' in page.text
    export = viewer.get(f"/portfolio.csv?as_of={bad}")
    assert export.status_code == 400 and "is not a date" in export.text


def test_the_csv_is_exactly_what_the_page_shows(sign_in_as, agency):
    viewer = sign_in_as("viewer")
    past = (date.today() - timedelta(days=200)).isoformat()
    recent = (date.today() - timedelta(days=20)).isoformat()
    for query in (
        "",
        "?sort=overdue&order=desc",
        f"?risk=high&sort=missing&as_of={past}",
        f"?as_of={recent}&q=face",
    ):
        page = viewer.get("/portfolio" + query).text
        export = viewer.get("/portfolio.csv" + query)
        assert export.status_code == 200 and export.mimetype == "text/csv"
        assert "attachment" in export.headers["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(export.text)))
        assert rows[0] == [
            "System",
            "Risk",
            "Stage",
            "Overdue",
            "Missing",
            "Expiring soon",
            "Pending review",
            "Expired",
            "Next stage",
            "Met",
        ]
        shown = table_rows(page)
        assert len(rows) - 1 == len(shown)
        for line, row_html in zip(rows[1:], shown, strict=True):
            assert f">{line[0]}</a>" in row_html.replace("&#39;", "'")
            keys = ("overdue", "missing", "expiring_soon", "pending_review", "expired")
            assert [int(n) for n in line[3:8]] == [counts_of(row_html)[k] for k in keys]
            assert f"<td>{line[1]}</td><td>{line[2]}</td>" in re.sub(r">\s+<", "><", row_html)
            assert line[9] in row_html
        # The page's own CSV link carries the same parameters.
        link = re.search(r'<a class="csv" href="([^"]+)"', page).group(1).replace("&amp;", "&")
        assert viewer.get(link).text == export.text
    frameworks = viewer.get("/portfolio.csv?view=frameworks")
    header = next(csv.reader(io.StringIO(frameworks.text)))
    assert header[:3] == ["System", "Stage", "Overall"] and len(header) > 3


def test_the_csv_is_for_signed_in_readers_only(client, agency):
    response = client.get("/portfolio.csv")
    assert response.status_code in (302, 401)
    assert "text/csv" not in response.headers.get("Content-Type", "")


def test_a_large_portfolio_is_paged_and_its_csv_has_every_page(sign_in_as, agency, monkeypatch):
    from tracker.web import portfolio as portfolio_page

    monkeypatch.setattr(portfolio_page, "PAGE_SIZE", 3)
    viewer = sign_in_as("viewer")
    active = sorted((s.name for s in agency.values() if s.retired_at is None), key=str.casefold)
    seen = []
    link = "/portfolio"
    while link:
        page = viewer.get(link).text
        assert f"{len(active)} systems" in page
        seen += [re.search(r'">([^<]+)</a></th>', row).group(1) for row in table_rows(page)]
        found = re.search(r'<a rel="next" href="([^"]+)"', page)
        link = found.group(1).replace("&amp;", "&") if found else None
    assert [name.replace("&#39;", "'") for name in seen] == active
    pages = -(-len(active) // 3)
    assert pages >= 3 and f"page {pages} of {pages}" in page and 'rel="prev"' in page
    export = list(csv.reader(io.StringIO(viewer.get("/portfolio.csv").text)))
    assert [line[0] for line in export[1:]] == active


def test_the_page_says_when_the_order_and_totals_are_being_refreshed(
    sign_in_as, agency, monkeypatch
):
    from tracker.portfolio import index

    viewer = sign_in_as("viewer")
    assert "Being refreshed" not in viewer.get("/portfolio").text
    monkeypatch.setattr(index, "AT_ONCE", 1)
    background = index.Background()
    monkeypatch.setattr(index, "BACKGROUND", background)
    AISystem.update(purpose="Changed by a bulk import").execute()
    page = viewer.get("/portfolio").text
    background.wait(60)
    assert "Being refreshed" in page and len(table_rows(page)) > 1
    assert "Being refreshed" not in viewer.get("/portfolio").text


def test_not_ready_names_its_first_three_reasons_and_counts_the_rest(sign_in_as, agency):
    page = sign_in_as("viewer").get("/portfolio").text
    titles = re.findall(r'<span class="status s-missing" title="([^"]*)">not ready</span>', page)
    long = [t for t in titles if "more on the system page" in t]
    assert long, "a demo system should have more than three blocking reasons"
    for title in long:
        shown, rest = title.rsplit("; and ", 1)
        assert len(shown.split("; ")) == 3 and rest.split()[0].isdigit()
