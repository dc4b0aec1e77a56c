"""CLI: ``tracker requirements``, the enabled requirement catalogue and why a requirement applies.

Registered with the other catalogue commands through :mod:`tracker.cli.catalogue`'s ``COMMANDS``.
"""

from __future__ import annotations

import textwrap
from datetime import date

import click

from tracker import completeness
from tracker.cli import Context, pass_context, reports_errors
from tracker.cli.completeness import _system_id as system_id_of
from tracker.cli.output import echo, printable
from tracker.cli.params import AS_OF, RecordRef
from tracker.errors import NotFound
from tracker.i18n import N_, ngettext
from tracker.i18n import gettext as _
from tracker.requirements import SCOPES, VERIFICATION


def _field(label: str, value: str) -> str:
    """``"citation:       value"``: the label in the reader's language, the values aligned."""
    # the colon as the language writes it ("citation :" in French), as click's headings do
    return (_("%(heading)s:", heading=_(label)) if label else "").ljust(15) + " " + value


@click.group("requirements")
def requirements_group() -> None:
    """The requirement catalogue."""


@requirements_group.command("list")
@click.option("--framework", help="Only this jurisdiction, e.g. eu-led.")
@pass_context
def list_requirements(ctx: Context, framework: str | None) -> None:
    """Every enabled requirement, with its citation's verification status."""
    for requirement in ctx.catalogue().requirements.values():
        if framework and requirement.framework != framework:
            continue
        echo(f"{requirement.id:<44} [{requirement.citation.verification:<14}] {requirement.title}")


@requirements_group.command("show")
@click.argument("requirement_id")
@pass_context
@reports_errors
def show_requirement(ctx: Context, requirement_id: str) -> None:
    """One requirement in full, with its citation."""
    r = ctx.catalogue().requirement(requirement_id)
    c = r.citation
    lines = [
        f"{r.id}: {r.title}",
        _field(N_("citation"), f"{c.instrument}, {c.article}"),
        _field("", c.url),
        _field(N_("verification"), f"{c.verification} - {_(VERIFICATION[c.verification])}")
        + (f" ({c.note})" if c.note else ""),
        _field(N_("evidence kinds"), ", ".join(r.evidence_kinds)),
        _field(N_("scope"), _(SCOPES[r.scope])),
        _field(N_("applies when"), r.applies_when),
        _field(N_("due before"), r.due_before or "-"),
        _field(N_("in force from"), str(r.in_force_from or _("in force"))),
        _field(N_("owner"), r.owner),
    ]
    if r.valid_for_months:
        lines.append(
            _field(
                N_("valid for"),
                ngettext("%(num)s month", "%(num)s months", r.valid_for_months)
                + (f" ({r.recurrence})" if r.recurrence else ""),
            )
        )
    if r.renew_on_change:
        lines.append(
            _field(
                N_("renew when"),
                _("%(fields)s changes", fields=", ".join(r.renew_on_change)),
            )
        )
    if r.also_satisfied_by:
        lines.append(
            _(
                "also satisfied by evidence for: %(requirements)s",
                requirements=", ".join(r.also_satisfied_by),
            )
        )
    if r.description:
        lines += ["", *textwrap.wrap(str(r.description), 100)]
    echo("\n".join(lines))


@requirements_group.command("why")
@click.argument("requirement_id")
@click.argument("system", type=RecordRef("AI system"))
@click.option("--as-of", type=AS_OF, help="As the system stood on this date (default: today).")
@pass_context
@reports_errors
def why_requirement(
    ctx: Context, requirement_id: str, system: int | str, as_of: date | None
) -> None:
    """Why REQUIREMENT_ID applies to SYSTEM (id or name), or which condition fails.

    Lists the jurisdiction's reason and each fact or plugin answer that decides the
    requirement's rule, with the actual values; exit 0 whether it applies or not.
    """
    ctx.connect()
    day = as_of or date.today()
    catalogue = ctx.catalogue()
    requirement = catalogue.requirement(requirement_id)
    system_id = system_id_of(system)
    snapshot = completeness.load_snapshot(day, catalogue, [system_id], include_retired=True)
    if not snapshot.systems:
        raise NotFound("AI system", f"{system_id} on {day.isoformat()} (not registered by then)")
    fact = snapshot.systems[0]
    verdict = completeness.evaluator_for(catalogue).verdict(fact, requirement, day)
    sentence = (
        N_("%(requirement)s (%(title)s) applies to system %(id)s (%(name)s) on %(date)s:")
        if verdict.applies
        else N_(
            "%(requirement)s (%(title)s) does not apply to system %(id)s (%(name)s) on %(date)s:"
        )
    )
    lines = [
        _(
            sentence,
            requirement=requirement.id,
            title=printable(requirement.title),
            id=fact.id,
            name=printable(fact.name),
            date=day.isoformat(),
        ),
        *(f"  - {printable(reason)}" for reason in verdict.reasons),
        _("rule: %(rule)s", rule=printable(requirement.applies_when)),
    ]
    if verdict.applies and requirement.in_force_from and day < requirement.in_force_from:
        lines.append(
            _(
                "not yet in force: in force from %(date)s",
                date=requirement.in_force_from.isoformat(),
            )
        )
    echo("\n".join(lines))
