"""Rendering completeness answers: JSON-ready dicts, CSV and a plain-text table."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import fields, is_dataclass
from datetime import date
from typing import Any

from tracker.audit import jsonable
from tracker.completeness.facts import (
    EVENT_DUTY_STATUSES,
    STATUSES,
    EventDuty,
    ItemStatus,
    SystemCompleteness,
)
from tracker.i18n import N_
from tracker.i18n import gettext as _


def _plain(value: Any) -> Any:
    """Dataclasses as dicts, like ``dataclasses.asdict`` but without its deep copy (which
    rebuilt every sentence: half the time of one system's answer)."""
    if is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def item_dict(item: ItemStatus) -> dict[str, Any]:
    """One requirement's row as JSON-ready values: what ``jsonable(_plain(item))`` gives, plus
    ``operators_missing``, written out field by field. One system's answer holds a hundred rows,
    and walking each generically (twice) was a fifth of the answer's cost;
    ``tests/completeness/test_export.py`` holds it to the generic walk."""
    return {
        "requirement_id": item.requirement_id,
        "framework": item.framework,
        "title": item.title,
        "scope": item.scope,
        "status": item.status,
        "due_before": item.due_before,
        "blocking": item.blocking,
        "citation": item.citation,
        "verification": item.verification,
        "owner": item.owner,
        "in_force_from": _day(item.in_force_from),
        "valid_until": _day(item.valid_until),
        "evidence": [
            {
                "id": ref.id,
                "title": ref.title,
                "kind": ref.kind,
                "version": ref.version,
                "status": ref.status,
                "valid_until": _day(ref.valid_until),
                "note": ref.note,
            }
            for ref in item.evidence
        ],
        "operators": [
            {"id": operator.id, "name": operator.name, "status": operator.status}
            for operator in item.operators
        ],
        "waiver_id": item.waiver_id,
        "detail": item.detail,
        "why": item.why,
        "operators_missing": item.operators_missing,
    }


def duty_dict(duty: EventDuty) -> dict[str, Any]:
    return jsonable(_plain(duty))


def system_dict(result: SystemCompleteness, with_items: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "system_id": result.system_id,
        "name": result.name,
        "as_of": result.as_of.isoformat(),
        "lifecycle_stage": result.lifecycle_stage,
        "next_stage": result.next_stage,
        "ready_for_next_stage": result.ready,
        "reasons": result.reasons,
        "nothing_applies": result.nothing_applies,
        "retired": result.retired,
        "overall": {
            "percent": result.overall.percent,
            "applicable": result.overall.applicable,
            "met": result.overall.met,
            "counts": result.overall.counts,
        },
        "frameworks": {
            name: {
                "percent": s.percent,
                "applicable": s.applicable,
                "met": s.met,
                "counts": s.counts,
            }
            for name, s in sorted(result.frameworks.items())
        },
        "blocking": [item.requirement_id for item in result.items if item.blocking],
        "event_counts": result.event_counts,
    }
    if with_items:
        data["requirements"] = [item_dict(item) for item in result.items]
        data["events"] = [duty_dict(duty) for duty in result.events]
    return data


def _csv(rows: Iterable[list[Any]], header: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def system_csv(result: SystemCompleteness) -> str:
    """One row per applicable requirement."""
    header = [
        "system_id",
        "system",
        "as_of",
        "requirement_id",
        "framework",
        "title",
        "scope",
        "status",
        "blocking",
        "due_before",
        "valid_until",
        "evidence_ids",
        "operators_missing",
        "citation",
        "verification",
        "owner",
        "detail",
        "why",
    ]
    rows = (
        [
            result.system_id,
            result.name,
            result.as_of.isoformat(),
            i.requirement_id,
            i.framework,
            i.title,
            i.scope,
            i.status,
            i.blocking,
            i.due_before or "",
            i.valid_until or "",
            " ".join(str(e.id) for e in i.evidence),
            "; ".join(i.operators_missing),
            i.citation,
            i.verification,
            i.owner,
            i.detail,
            i.why,
        ]
        for i in result.items
    )
    return _csv(rows, header)


def portfolio_csv(
    results: Iterable[SystemCompleteness], frameworks: list[str] | None = None
) -> str:
    """One row per system: stage, readiness, overall and per-framework percentages, status
    counts. ``frameworks``: the columns (default: those of the results, read first)."""
    if frameworks is None:
        results = list(results)
        frameworks = sorted({name for r in results for name in r.frameworks})
    header = [
        "system_id",
        "system",
        "as_of",
        "lifecycle_stage",
        "next_stage",
        "ready",
        "nothing_applies",
        "overall_percent",
        *(f"{name}_percent" for name in frameworks),
        *STATUSES,
        *(f"event_{status}" for status in EVENT_DUTY_STATUSES),
    ]
    rows = (
        [
            r.system_id,
            r.name,
            r.as_of.isoformat(),
            r.lifecycle_stage,
            r.next_stage or "",
            "" if r.ready is None else r.ready,
            r.nothing_applies,
            _blank_if_none(r.overall.percent),
            *(
                _blank_if_none(r.frameworks[name].percent) if name in r.frameworks else ""
                for name in frameworks
            ),
            *(r.overall.counts[status] for status in STATUSES),
            *(r.event_counts[status] for status in EVENT_DUTY_STATUSES),
        ]
        for r in results
    )
    return _csv(rows, header)


def _blank_if_none(value: Any) -> Any:
    return "" if value is None else value


def percent_text(percent: float | None) -> str:
    """A score for people: "n/a" when nothing is in force, never a fake 100 %."""
    return _("n/a") if percent is None else f"{percent}%"


def _ready_word(ready: bool | None, loud: bool = False) -> str:
    if ready is None:
        return _("n/a")
    if ready:
        return _("yes")
    return _("NO") if loud else _("no")


def system_table(result: SystemCompleteness, why: bool = False) -> str:
    """The system's requirements as a table; with ``why``, each one's reasons under it."""
    head = [
        _(
            "%(name)s (system %(id)s) as of %(date)s",
            name=result.name,
            id=result.system_id,
            date=result.as_of.isoformat(),
        )
    ]
    if result.nothing_applies:
        return "\n".join(
            [
                *head,
                _(
                    "stage: %(stage)s; nothing applies: %(why)s",
                    stage=result.lifecycle_stage,
                    why=result.nothing_applies,
                ),
            ]
        )
    lines = [
        *head,
        _(
            "stage: %(stage)s; ready for %(next)s: %(ready)s; overall %(percent)s (%(met)s/%(applicable)s)",
            stage=result.lifecycle_stage,
            next=result.next_stage or "-",
            ready=_ready_word(result.ready, loud=True),
            percent=percent_text(result.overall.percent),
            met=result.overall.met,
            applicable=result.overall.applicable,
        ),
        _("frameworks: %(scores)s")
        % {
            "scores": ", ".join(
                f"{n} {percent_text(s.percent)}" for n, s in sorted(result.frameworks.items())
            )
        },
        "",
        f"{_('requirement'):<44} {_('status'):<15} {_('due before'):<27} {_('blocking')}",
    ]
    for item in result.items:
        lines.append(
            f"{item.requirement_id:<44} {item.status:<15} {item.due_before or '-':<27} "
            f"{_('BLOCKING') if item.blocking else ''}"
        )
        if item.operators_missing:
            missing = ", ".join(item.operators_missing)
            lines.append(f"{'':<44} " + _("missing operators: %(names)s", names=missing))
        if why and item.why:
            lines.append(f"{'':<44} " + _("applies because: %(why)s", why=item.why))
    lines += _duties_to_act_on(result)
    if result.ready is False:
        lines += ["", _("Not ready for %(stage)s:", stage=result.next_stage)] + [
            f"  - {reason}" for reason in result.reasons
        ]
    return "\n".join(lines)


def _when(moment: Any) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _duties_to_act_on(result: SystemCompleteness) -> list[str]:
    """The open and overdue event duties, one line each (none: nothing)."""
    due = [d for d in result.events if d.status in ("open", "overdue")]
    if not due:
        return []
    lines = ["", _("Event duties open or overdue (%(count)s):", count=len(due))]
    for duty in due:
        lines.append(
            "  "
            + _(
                "event %(event)s (%(kind)s, %(when)s): %(requirement)s %(status)s, deadline %(deadline)s",
                event=duty.event_id,
                kind=duty.kind,
                when=_when(duty.occurred_at),
                requirement=duty.requirement_id,
                status=duty.status.upper() if duty.status == "overdue" else duty.status,
                deadline=_when(duty.deadline),
            )
        )
    return lines


# The count columns of the portfolio table and their widths.
_COUNT_COLUMNS = (
    (N_("missing"), 7),
    (N_("pending"), 7),
    (N_("expiring"), 8),
    (N_("expired"), 7),
    (N_("overdue"), 7),
)


def portfolio_table(results: list[SystemCompleteness]) -> str:
    headings = (
        f"{_('id'):>4} {_('system'):<44} {_('stage'):<27} {_('ready'):<5} {_('overall'):>7}  "
        + " ".join(f"{_(word):>{width}}" for word, width in _COUNT_COLUMNS)
    )
    lines = [headings]
    for r in results:
        counts = r.overall.counts
        lines.append(
            f"{r.system_id:>4} {r.name[:44]:<44} {r.lifecycle_stage:<27} {_ready_word(r.ready):<5} "
            f"{percent_text(r.overall.percent):>7}  "
            f"{counts['missing']:>7} {counts['pending_review']:>7} {counts['expiring_soon']:>8} "
            f"{counts['expired']:>7} {r.event_counts['overdue']:>7}"
        )
    unexplained = [r for r in results if r.nothing_applies]
    if unexplained:
        lines.append("")
        lines += [
            _("system %(id)s: nothing applies: %(why)s", id=r.system_id, why=r.nothing_applies)
            for r in unexplained
        ]
    return "\n".join(lines)
