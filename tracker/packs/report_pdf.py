"""The completeness report of one system on a date as a PDF, for the people who open an evidence
pack (auditors, supervisory authorities): each requirement with its status, why it applies, its
citation and verification mark and the evidence that counted, then the recorded events and what
each owes, then the system's profile as it was on the date.

In the current language (tracker.i18n), with fpdf2's core fonts (Latin-1: typographic marks are
written as their plain equivalents, any other character outside Latin-1 as "?"). The same inputs
give the same bytes: the pack's content manifest must not change when it is built twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from fpdf import FPDF
from fpdf.enums import MethodReturnValue

from tracker import i18n, vocabulary
from tracker.completeness.facts import MET, EventDuty, EvidenceRef, ItemStatus, SystemCompleteness
from tracker.events.kinds import CORE_EVENT_KINDS
from tracker.i18n import N_
from tracker.i18n import gettext as _
from tracker.i18n.text import Phrase
from tracker.plugin_host import Catalogue
from tracker.profile import CHOICE_FACTS, SET_FACTS
from tracker.publication import PUBLIC_FIELDS

# A4 landscape: a requirement row has seven columns, and wide ones keep long text short.
MARGIN_MM = 12
BOTTOM_MM = 14  # the footer sits below it
TABLE_FONT_SIZE = 7.5
LINE_MM = 3.4  # one line of table text at TABLE_FONT_SIZE
PAD_MM = 1.0  # above and below the text of a table cell
HEADING_FILL = (228, 231, 236)
# Status words in colour: red owes something now, amber is on its way, green is met.
STATUS_COLOURS = {
    "satisfied": (22, 110, 50),
    "expiring_soon": (150, 95, 0),
    "pending_review": (150, 95, 0),
    "open": (150, 95, 0),
    "expired": (170, 20, 20),
    "rejected": (170, 20, 20),
    "missing": (170, 20, 20),
    "overdue": (170, 20, 20),
}
GREY = (90, 90, 90)
# Verification marks that are words, read in the language (V, V2, P and U are codes).
WORD_MARKS = {"interpretation": N_("interpretation"), "guidance": N_("guidance")}
# The profile facts the report lists, in this order: what an auditor needs to follow why each
# requirement applies (the full profile is in the pack as data).
PROFILE_FIELDS = (
    "name",
    "version",
    "vendor",
    "purpose",
    "lifecycle_stage",
    "risk_level",
    "purpose_type",
    "development_approach",
    "processes_personal_data",
    "biometric_identification",
    "ai_act_roles",
    "annex_iii_areas",
    "people_affected",
    "profiling",
    "public_authority",
    "public_facing",
    "countries",
    "jurisdictions",
    "units_with_access",
)
# Characters outside Latin-1 that have a plain equivalent (Babel writes French thousands with a
# narrow no-break space; translations may use typographic quotes and dashes).
_PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u202f": "\u00a0",
        "\u2009": " ",
        "\u2022": "\u00b7",
        "\u0153": "oe",
        "\u0152": "OE",
        "\u20ac": "EUR",
    }
)


def latin(text: Any) -> str:
    """Text the core fonts can print: ``str()`` first, so a Phrase reads in the language."""
    return str(text).translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


@dataclass(frozen=True, slots=True)
class Part:
    """Some text in a table cell, on its own line(s), in a style ("", "B", "I") and colour."""

    text: str
    style: str = ""
    colour: tuple[int, int, int] | None = None


Cell = str | Sequence[Part]


@dataclass(frozen=True, slots=True)
class Column:
    heading: str
    width: float  # mm


class _Document(FPDF):
    """An FPDF page with the report's footer: what it is, and the page number."""

    footer_text = ""

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("helvetica", "", 7)
        self.set_text_color(*GREY)
        page = _("Page %(page)s of %(pages)s", page=self.page_no(), pages="{nb}")
        self.cell(0, 4, latin(f"{self.footer_text} \u00b7 {page}"), align="R")
        self.set_text_color(0)


class _Report:
    """The pages being written: paragraphs, headings and tables whose rows may run over pages."""

    def __init__(self, title: str, footer: str, as_of: date) -> None:
        self.pdf = _Document(orientation="L", format="A4")
        self.pdf.footer_text = footer
        self.pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
        self.pdf.set_auto_page_break(True, margin=BOTTOM_MM)
        # Fixed, so two builds give the same bytes (fpdf2 would stamp the time of the call).
        self.pdf.set_creation_date(datetime.combine(as_of, time(), tzinfo=UTC))
        self.pdf.set_title(latin(title))
        self.pdf.set_lang(i18n.current_language())
        self.pdf.add_page()

    def text(
        self,
        text: Any,
        size: float = 10,
        style: str = "",
        gap: float = 0,
        colour: tuple[int, int, int] | None = None,
    ) -> None:
        if gap:
            self.pdf.ln(gap)
        self.pdf.set_font("helvetica", style, size)
        if colour:
            self.pdf.set_text_color(*colour)
        self.pdf.multi_cell(0, size * 0.5, latin(text), new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_text_color(0)

    def heading(self, text: str, size: float = 13, keep: float = 45) -> None:
        """A heading kept with the ``keep`` mm that follow it (a table's headings and a row or
        two; a section's heading keeps the first framework's heading too)."""
        if self.pdf.y + keep > self.pdf.page_break_trigger:
            self.pdf.add_page()
        self.text(text, size=size, style="B", gap=4)
        self.pdf.ln(1)

    # Tables. fpdf2's own table refuses a row taller than a page (a long "why" can be); this one
    # carries such a row over to the next page, and repeats the headings there.

    def table(self, columns: Sequence[Column], rows: Iterable[Sequence[Cell]]) -> None:
        self.pdf.set_auto_page_break(False, margin=BOTTOM_MM)
        try:
            self._headings(columns)
            for row in rows:
                self._row(
                    columns,
                    [self._lines(cell, c.width) for cell, c in zip(row, columns, strict=True)],
                )
        finally:
            self.pdf.set_auto_page_break(True, margin=BOTTOM_MM)
        self.pdf.ln(2)

    def _lines(self, cell: Cell, width: float) -> list[tuple[str, Part]]:
        parts = [Part(cell)] if isinstance(cell, str) else list(cell)
        lines = []
        for part in parts:
            self.pdf.set_font("helvetica", part.style, TABLE_FONT_SIZE)
            for line in self.pdf.multi_cell(
                width, LINE_MM, latin(part.text), dry_run=True, output=MethodReturnValue.LINES
            ):
                lines.append((line, part))
        return lines or [("", Part(""))]

    def _headings(self, columns: Sequence[Column]) -> None:
        lines = [self._lines([Part(c.heading, "B")], c.width) for c in columns]
        if self.pdf.y + self._height(max(map(len, lines)) + 2) > self.pdf.page_break_trigger:
            self.pdf.add_page()
        self._draw(columns, lines, len(max(lines, key=len)), fill=True)

    def _row(self, columns: Sequence[Column], lines: list[list[tuple[str, Part]]]) -> None:
        total = max(map(len, lines))
        done, fresh_page = 0, False
        while done < total:
            room = int((self.pdf.page_break_trigger - self.pdf.y - 2 * PAD_MM) // LINE_MM)
            left = total - done
            fits_a_page = self._height(left) <= self._page_room(columns)
            if left > room and not fresh_page and (fits_a_page or room < 2):
                # Move the row whole to the next page when it fits there; else fill this page
                # first, unless too little of it is left to be worth it.
                self.pdf.add_page()
                self._headings(columns)
                fresh_page = True
                continue
            count = max(1, min(left, room))
            self._draw(columns, [cell[done : done + count] for cell in lines], count)
            done, fresh_page = done + count, False

    def _page_room(self, columns: Sequence[Column]) -> float:
        """The height a row may take on a page that starts with the table's headings."""
        headings = max(len(self._lines([Part(c.heading, "B")], c.width)) for c in columns)
        return self.pdf.page_break_trigger - MARGIN_MM - self._height(headings)

    @staticmethod
    def _height(lines: int) -> float:
        return lines * LINE_MM + 2 * PAD_MM

    def _draw(
        self,
        columns: Sequence[Column],
        lines: Sequence[Sequence[tuple[str, Part]]],
        count: int,
        fill: bool = False,
    ) -> None:
        pdf = self.pdf
        top, x, height = pdf.y, pdf.l_margin, self._height(count)
        pdf.set_draw_color(170)
        pdf.set_line_width(0.2)
        if fill:
            pdf.set_fill_color(*HEADING_FILL)
        for column, cell in zip(columns, lines, strict=True):
            pdf.rect(x, top, column.width, height, style="DF" if fill else "D")
            for number, (line, part) in enumerate(cell):
                pdf.set_font("helvetica", part.style, TABLE_FONT_SIZE)
                pdf.set_text_color(*(part.colour or (0, 0, 0)))
                pdf.set_xy(x, top + PAD_MM + number * LINE_MM)
                pdf.cell(column.width, LINE_MM, line)
            x += column.width
        pdf.set_text_color(0)
        pdf.set_xy(pdf.l_margin, top + height)


# Words


def status_word(status: str) -> str:
    """A status as the pages' badges say it ("pending review"), in the language."""
    words = vocabulary.STATUS_WORDS
    return _(words[status]) if status in words else status.replace("_", " ")


def _status(status: str, detail: Any = "", blocking: bool = False) -> list[Part]:
    parts = [Part(status_word(status), "B", STATUS_COLOURS.get(status))]
    if blocking:
        parts.append(Part(_("blocks the next stage"), "B"))
    if detail:
        parts.append(Part(str(detail), "I", GREY))
    return parts


def _stage(stage: str | None) -> str:
    labels = vocabulary.LIFECYCLE_STAGES
    return _(labels[stage]) if stage in labels else (stage or "")


def _mark(code: str) -> str:
    return _(WORD_MARKS[code]) if code in WORD_MARKS else code


def _moment(value: datetime) -> str:
    # Stored in UTC; the report says so rather than guess a reader's time zone.
    return f"{i18n.format_day(value)} {value:%H:%M} UTC"


def _counted(refs: Iterable[EvidenceRef], counted: Iterable[str] = MET) -> list[Part]:
    """The evidence that made the status: its title and version, and until when it is valid."""
    statuses = set(counted)
    parts = []
    for ref in refs:
        if ref.status in statuses:
            version = _("version %(version)s", version=ref.version)
            parts.append(Part(f"{ref.title} ({version})"))
    return parts or [Part("-")]


def _profile_value(name: str, value: Any, catalogue: Catalogue | None) -> str:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if value is None or value == "" or value == []:
        return "-"
    if name == "countries":
        territories = i18n.locale().territories
        return ", ".join(territories.get(code, code) for code in value)
    if name == "jurisdictions":
        known = catalogue.jurisdictions if catalogue else {}
        return ", ".join(str(known[j].title) if j in known else j for j in value)
    words = CHOICE_FACTS.get(name) or SET_FACTS.get(name) or {}
    values = value if isinstance(value, list | tuple) else [value]
    return ", ".join(_(words[v]) if v in words else str(v) for v in values)


# The report


def completeness_pdf(
    result: SystemCompleteness,
    agency_name: str,
    profile: Mapping[str, Any],
    catalogue: Catalogue | None = None,
) -> bytes:
    """``result`` (a detailed answer: items with ``why``, events with their duties) as a PDF
    report in the current language. ``profile``: the system's profile as of the same date.
    ``catalogue``, when given, names each framework and event kind by its title (else by its id;
    the tracker's own event kinds are named either way)."""
    day = i18n.format_day(result.as_of)
    on_date = _("Completeness on %(day)s", day=day)
    doc = _Report(
        f"{result.name}: {on_date}",
        f"{agency_name} \u00b7 {result.name} \u00b7 {on_date}" if agency_name else on_date,
        result.as_of,
    )
    _header(doc, result, agency_name, on_date)
    _requirements(doc, result, catalogue)
    _events(doc, result, catalogue)
    _profile(doc, profile, catalogue)
    return bytes(doc.pdf.output())


def _header(doc: _Report, result: SystemCompleteness, agency_name: str, on_date: str) -> None:
    if agency_name:
        doc.text(agency_name, size=11, style="B", colour=GREY)
    doc.text(result.name, size=18, style="B", gap=1)
    doc.text(on_date, size=13, gap=1)
    doc.pdf.ln(2)
    doc.text(_("Stage: %(stage)s", stage=_stage(result.lifecycle_stage)), size=10)
    if result.retired:
        doc.text(_("The system was retired by this date."), size=10)
    doc.text(
        _(
            "Requirements met: %(percent)s (%(met)s of %(applicable)s applicable)",
            percent=i18n.format_percent(result.overall.percent),
            met=result.overall.met,
            applicable=result.overall.applicable,
        ),
        size=10,
        style="B",
    )
    if result.nothing_applies:
        doc.text(_("No requirement applies to this system"), size=10, style="B", gap=2)
        doc.text(result.nothing_applies, size=9)
    if result.next_stage is None:
        doc.text(
            _("%(stage)s: there is no next stage.", stage=_stage(result.lifecycle_stage)), gap=2
        )
    elif result.ready:
        doc.text(
            _(
                "Ready for %(stage)s: every requirement due before it is met or waived.",
                stage=_stage(result.next_stage),
            ),
            style="B",
            gap=2,
            colour=STATUS_COLOURS["satisfied"],
        )
    else:
        doc.text(
            _("Not ready for %(stage)s:", stage=_stage(result.next_stage)),
            style="B",
            gap=2,
            colour=STATUS_COLOURS["missing"],
        )
        doc.text("\n".join(f"- {reason}" for reason in map(str, result.reasons)), size=9)


def _requirements(doc: _Report, result: SystemCompleteness, catalogue: Catalogue | None) -> None:
    doc.heading(_("All requirements"), size=14, keep=70)
    by_framework: dict[str, list[ItemStatus]] = {}
    for item in result.items:
        by_framework.setdefault(item.framework, []).append(item)
    if not by_framework:
        doc.text(_("No requirement applies to this system"))
    columns = (
        # Wide enough for the longest requirement id of the built-in catalogue on one line.
        Column(_("Requirement"), 58),
        Column(_("Status"), 27),
        Column(_("Why it applies"), 56),
        Column(_("Citation"), 40),
        Column(_("Mark"), 22),  # wide enough for "interpretation" and "recommandation"
        Column(_("Valid until"), 20),
        Column(_("Evidence"), 50),
    )
    jurisdictions = catalogue.jurisdictions if catalogue else {}
    for framework, items in by_framework.items():
        score = result.frameworks.get(framework)
        title = str(jurisdictions[framework].title) if framework in jurisdictions else framework
        doc.heading(title, size=11)
        if score is not None:
            met = _("%(percent)s met", percent=i18n.format_percent(score.percent))
            doc.text(f"{met} ({score.met}/{score.applicable})", size=9, colour=GREY)
            doc.pdf.ln(1)
        doc.table(columns, (_requirement_row(item) for item in items))


def _requirement_row(item: ItemStatus) -> list[Cell]:
    return [
        [Part(item.requirement_id), Part(str(item.title), "B")],
        _status(item.status, item.detail, item.blocking),
        str(item.why) or "-",
        str(item.citation),
        _mark(item.verification),
        i18n.format_day(item.valid_until) or "-",
        _counted(item.evidence),
    ]


def _events(doc: _Report, result: SystemCompleteness, catalogue: Catalogue | None) -> None:
    doc.heading(_("Events and their deadlines"), size=14)
    if not result.events:
        doc.text(_("No event was recorded by this date."), size=10)
        return
    kinds: dict[str, Any] = {kind.id: kind for kind in CORE_EVENT_KINDS}
    if catalogue is not None:
        kinds.update(catalogue.event_kinds)
    columns = (
        Column(_("Event"), 70),
        Column(_("Requirement"), 78),
        Column(_("Deadline"), 32),
        Column(_("Status"), 38),
        Column(_("Evidence"), 55),
    )
    doc.table(columns, (_duty_row(duty, kinds) for duty in result.events))


def _duty_row(duty: EventDuty, kinds: Mapping[str, Any]) -> list[Cell]:
    kind = kinds.get(duty.kind)
    if kind is None:
        title = duty.kind
    elif isinstance(kind.title, Phrase):  # a catalogue's: it reads in the language already
        title = str(kind.title)
    else:
        title = _(kind.title)
    event = [Part(f"{title} #{duty.event_id}", "B"), Part(_moment(duty.occurred_at))]
    if duty.description:
        event.append(Part(duty.description, "I", GREY))
    return [
        event,
        [Part(duty.requirement_id), Part(str(duty.title), "B")],
        _moment(duty.deadline),
        _status(duty.status, duty.detail),
        _counted(duty.evidence, ("satisfied",)),
    ]


def _profile(doc: _Report, profile: Mapping[str, Any], catalogue: Catalogue | None) -> None:
    doc.heading(_("Profile"), size=14)
    columns = (Column(_("Field"), 70), Column(_("Value"), 203))
    label = {name: _(text) for name, text in PUBLIC_FIELDS.items()}
    doc.table(
        columns,
        (
            [[Part(label.get(name, name), "B")], _profile_value(name, profile[name], catalogue)]
            for name in PROFILE_FIELDS
            if name in profile
        ),
    )
