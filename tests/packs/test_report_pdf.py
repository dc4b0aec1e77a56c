"""The completeness report inside an evidence pack, as a PDF for people: every requirement with
its status in words, the evidence that counted, the recorded events and what each owes, the
profile; the same bytes for the same inputs; long text wrapped onto the page; in French too."""

from __future__ import annotations

import re
import zlib
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.factories import profile, upload_form
from tracker import completeness, i18n, vocabulary
from tracker.completeness.facts import SystemCompleteness
from tracker.packs.report_pdf import completeness_pdf, latin, status_word

AGENCY = "Police fédérale / Federale Politie"
DPIA = "eu-led.dpia"
AUTHORISATION = "eu-ai-act.rt_rbi_authorisation"  # owed within 24 hours of each use
# A4 landscape, in points; the text stays within the margins (12 mm, the bottom 14 mm).
PAGE_WIDTH_PT, PAGE_HEIGHT_PT = 842, 595
LEFT_PT, BOTTOM_PT = 12 * 72 / 25.4, 14 * 72 / 25.4
# fpdf2's page contents: each stream read by its declared length (a stream's compressed bytes
# may end with any byte, so a pattern that stops at "endstream" can cut one short).
_STREAM = re.compile(rb"/Length (\d+)\s*>>\s*stream\r?\n")
_SHOWN = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj")
_PLACED = re.compile(
    rb"BT ([\d.]+) ([\d.]+) Td (?:[\d.]+ [\d.]+ [\d.]+ rg )?\(((?:\\.|[^\\)])*)\) Tj"
)


def page_contents(pdf: bytes) -> list[bytes]:
    """Every content stream, decompressed (the report holds no image: every stream is text)."""
    return [
        zlib.decompress(pdf[found.end() : found.end() + int(found.group(1))])
        for found in _STREAM.finditer(pdf)
    ]


def pdf_text(pdf: bytes) -> str:
    """The text the PDF shows, in the order it is written, its lines joined by single spaces."""
    shown = (
        re.sub(rb"\\(.)", rb"\1", text).decode("latin-1")
        for content in page_contents(pdf)
        for text in _SHOWN.findall(content)
    )
    return " ".join(" ".join(shown).split())


@pytest.fixture
def system_id(client, auth) -> int:
    """A live facial-recognition system with an accepted DPIA and one recorded use."""
    body = profile(
        name="Live facial recognition",
        biometric_identification="real_time",
        jurisdictions=["eu-led", "eu-ai-act"],
    )
    created = client.post("/api/systems", json=body, headers=auth("legal"))
    assert created.status_code == 201, created.json
    system_id = created.json["id"]
    today = date.today()
    form = upload_form(
        system_ids=[system_id],
        requirement_ids=[DPIA],
        valid_from=(today - timedelta(days=10)).isoformat(),
        valid_until=(today + timedelta(days=300)).isoformat(),
    )
    uploaded = client.post(
        "/api/evidence", data=form, headers=auth("legal"), content_type="multipart/form-data"
    )
    assert uploaded.status_code == 201, uploaded.json
    accepted = client.post(
        f"/api/evidence/{uploaded.json['id']}/reviews",
        json={"decision": "accepted"},
        headers=auth("dpo"),
    )
    assert accepted.status_code == 201, accepted.json
    used = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    event = client.post(
        f"/api/systems/{system_id}/events",
        json={"kind": "use", "occurred_at": used.isoformat(), "description": "Search 2026-114"},
        headers=auth("legal"),
    )
    assert event.status_code == 201, event.json
    return system_id


def answer(app, system_id: int) -> tuple[SystemCompleteness, dict]:
    """The detailed answer for today, and the profile as of today, as a pack gets them."""
    catalogue = app.extensions["tracker"].catalogue
    snapshot = completeness.load_snapshot(
        date.today(), catalogue, [system_id], include_retired=True
    )
    (system,) = snapshot.systems
    result = completeness.evaluator_for(catalogue).evaluate(system, snapshot, detail=True)
    return result, system.profile


def words(text: str) -> str:
    return " ".join(str(text).split())


def requirement_rows(
    text: str, result: SystemCompleteness, heading: str = "All requirements"
) -> dict[str, str]:
    """Each requirement's row: the text from its id to the next requirement's id, after the
    heading of the requirements (the readiness reasons above name ids too)."""
    start = text.index(heading)
    positions = []
    for item in result.items:
        start = text.index(item.requirement_id, start)
        positions.append(start)
        start += len(item.requirement_id)
    ends = [*positions[1:], len(text)]
    return {
        item.requirement_id: text[begin:end]
        for item, begin, end in zip(result.items, positions, ends, strict=True)
    }


def test_the_report_shows_each_requirement_its_status_why_and_evidence(app, system_id):
    result, facts = answer(app, system_id)
    statuses = {item.requirement_id: item.status for item in result.items}
    assert statuses[DPIA] == "satisfied" and "missing" in statuses.values()
    text = pdf_text(completeness_pdf(result, AGENCY, facts))

    assert text.startswith(f"{AGENCY} Live facial recognition Completeness on ")
    assert f"Requirements met: {i18n.format_percent(result.overall.percent)} " in text
    assert f"({result.overall.met} of {result.overall.applicable} applicable)" in text
    next_stage = i18n.gettext(vocabulary.LIFECYCLE_STAGES[result.next_stage])
    assert result.ready is False and f"Not ready for {next_stage}:" in text
    for reason in result.reasons:
        assert f"- {words(reason)}" in text
    rows = requirement_rows(text, result)
    assert len(rows) == len(result.items) > 10
    for item in result.items:
        row = rows[item.requirement_id]
        assert status_word(item.status) in row, item.requirement_id
        assert words(item.title) in row
        assert words(item.why) in row and item.why.startswith(item.framework)
        assert words(item.citation) in row
    assert "satisfied" in rows[DPIA] and "DPIA 2026 (version 1)" in rows[DPIA]
    missing = next(i for i in result.items if i.status == "missing" and not i.evidence)
    assert "DPIA 2026" not in rows[missing.requirement_id]

    events = text[text.index("Events and their deadlines") : text.index("Profile Field Value")]
    (duty,) = [d for d in result.events if d.requirement_id == AUTHORISATION]
    assert f"Use of the system #{duty.event_id}" in events and "Search 2026-114" in events
    assert f"{AUTHORISATION} {words(duty.title)}" in events
    assert status_word(duty.status) == "open" and "open" in events
    assert f"{duty.deadline:%H:%M} UTC" in events

    profile_part = text[text.index("Profile Field Value") :]
    assert "Name Live facial recognition" in profile_part
    assert "Processes personal data Yes" in profile_part
    assert "Biometric identification Real-time remote biometric identification" in profile_part
    assert "Jurisdictions eu-ai-act, eu-led" in profile_part  # no catalogue given: by id


def test_a_full_profile_and_the_catalogue_give_words_for_every_fact(app, system_id):
    result, _facts = answer(app, system_id)
    catalogue = app.extensions["tracker"].catalogue
    full = profile(jurisdictions=["eu-led"], countries=["FR"])
    text = pdf_text(completeness_pdf(result, AGENCY, full, catalogue))
    profile_part = text[text.index("Profile Field Value") :]
    assert "Purpose Identify suspects from lawfully obtained images" in profile_part
    assert "Vendor Acme Biometrics" in profile_part and "Version 4.2" in profile_part
    assert "Also used in (countries) France" in profile_part
    led = str(catalogue.jurisdictions["eu-led"].title)
    assert f"Jurisdictions {led}" in profile_part
    assert f"{led} " in text[: text.index("Events and their deadlines")]  # a framework's heading


def test_the_same_answer_gives_the_same_bytes(app, system_id):
    first, facts = answer(app, system_id)
    again, facts_again = answer(app, system_id)  # evaluated anew, as a second pack would
    pdf = completeness_pdf(first, AGENCY, facts)
    assert pdf == completeness_pdf(again, AGENCY, facts_again)
    assert pdf.startswith(b"%PDF-")
    assert f"/CreationDate (D:{date.today():%Y%m%d}000000Z".encode() in pdf

    other_agency = completeness_pdf(first, "Another agency", facts)
    assert other_agency != pdf


def test_long_text_wraps_and_runs_over_pages_without_leaving_them(app, system_id):
    result, facts = answer(app, system_id)
    long_why = " ".join(f"reason{n}" for n in range(3000))  # taller than a page in its column
    unbroken = "x" * 400  # no space to break at: broken between characters
    result.items[0].why = long_why
    result.items[1].title = unbroken
    result.items[2].citation = "See " + "very long citation text " * 40
    pdf = completeness_pdf(result, AGENCY, facts)

    text = pdf_text(pdf)
    found = [int(n) for n in re.findall(r"\breason(\d+)\b", text)]
    assert found == list(range(3000))
    assert text.count("x") >= 400
    assert pdf.count(b"/Type /Page\n") > 3
    for content in page_contents(pdf):
        for x, y, line in _PLACED.findall(content):
            assert LEFT_PT - 1 < float(x) < PAGE_WIDTH_PT - LEFT_PT, line
            assert float(y) < PAGE_HEIGHT_PT - LEFT_PT, line
            assert float(y) > BOTTOM_PT or b"\xb7 Page " in line, line  # only the footer below


def test_the_report_reads_in_french(app, system_id):
    result, facts = answer(app, system_id)
    english = pdf_text(completeness_pdf(result, AGENCY, facts))
    with i18n.using("fr"):
        text = pdf_text(completeness_pdf(result, AGENCY, facts))
        expected = {item.requirement_id: status_word(item.status) for item in result.items}
        french_why = words(next(i.why for i in result.items if i.requirement_id == DPIA))
        day = i18n.format_day(result.as_of)
    assert expected[DPIA] == "satisfaite" and "manquante" in expected.values()
    assert "Toutes les exigences" in text and "Exigence Statut" in text
    assert f"Live facial recognition Complétude au {day}" in text
    assert "Les événements et leurs délais" in text and "Utilisation du système #" in text
    assert "Pas prêt pour" in text and "Not ready for" not in text
    rows = requirement_rows(text, result, "Toutes les exigences")
    for requirement_id, word in expected.items():
        assert word in rows[requirement_id], requirement_id
    assert french_why in rows[DPIA] and french_why not in english
    assert "DPIA 2026 (version 1)" in rows[DPIA]


def test_typographic_marks_print_as_their_plain_equivalents():
    assert latin(
        "mise en \u0153uvre \u2013 \u00ab d\u2019abord \u00bb, 1\u202f234\u00a0\u20ac"
    ) == ("mise en oeuvre - \u00ab d'abord \u00bb, 1\u00a0234\u00a0EUR")
    assert latin("\u4e2d") == "?"  # outside Latin-1, with no plain equivalent


def test_the_header_says_ready_final_stage_retired_or_nothing_applies(app, system_id):
    result, facts = answer(app, system_id)

    def header(**changes) -> str:
        text = pdf_text(completeness_pdf(replace(result, **changes), AGENCY, facts))
        return text[: text.index("All requirements")]

    ready = header(ready=True, reasons=[])
    assert "Ready for Deployment and use: every requirement due before it is met or waived." in (
        ready
    )
    assert "Not ready" not in ready
    final = header(lifecycle_stage="decommissioned", next_stage=None, ready=None, retired=True)
    assert "Stage: Decommissioned" in final
    assert "Decommissioned: there is no next stage." in final
    assert "The system was retired by this date." in final
    nothing = header(items=[], nothing_applies="no jurisdiction reaches the agency's countries")
    assert "No requirement applies to this system no jurisdiction reaches the" in nothing
    assert "retired by this date" not in nothing
