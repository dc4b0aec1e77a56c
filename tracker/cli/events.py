"""CLI: ``tracker events add|list|kinds``: record what happened to a system and see what it owes.

Each recorded event (a use, a breach, an incident ...) owes evidence linked to it by the
deadline of every requirement counted from its kind; ``list`` shows those duties as
completeness judges them.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import click

from tracker import accounts, completeness, register
from tracker.cli import Context, cli_actor, pass_context, reports_errors
from tracker.cli.completeness import _system_id
from tracker.cli.output import echo, printable
from tracker.cli.params import AS_OF, FIRST_DAY, RecordRef, acting_user
from tracker.completeness.facts import EventDuty
from tracker.completeness.loader import end_of
from tracker.errors import NotFound
from tracker.events.kinds import title_of
from tracker.i18n import gettext as _
from tracker.vocabulary import STATUS_WORDS

_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?")


class Moment(click.ParamType):
    """A moment written YYYY-MM-DD HH:MM (or with T, seconds, and a UTC offset or Z); without
    an offset it is UTC. Returned as naive UTC."""

    name = "YYYY-MM-DD HH:MM"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            moment = value
        else:
            text = str(value).strip()
            if not _MOMENT.fullmatch(text):
                self.fail(
                    _(
                        "%(text)s is not a moment written YYYY-MM-DD HH:MM (UTC, or with an "
                        "offset such as +01:00)",
                        text=repr(text),
                    ),
                    param,
                    ctx,
                )
            try:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError as error:  # "month must be in 1..12"
                self.fail(
                    _("%(text)s is not a moment: %(error)s", text=repr(text), error=error),
                    param,
                    ctx,
                )
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        if moment.date() < FIRST_DAY:
            self.fail(
                _(
                    "%(day)s is before %(first)s",
                    day=moment.date().isoformat(),
                    first=FIRST_DAY.isoformat(),
                ),
                param,
                ctx,
            )
        return moment


MOMENT = Moment()


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _status(status: str) -> str:
    return _(STATUS_WORDS[status]) if status in STATUS_WORDS else status


@click.group("events")
def events_group() -> None:
    """Events of a system (uses, breaches, incidents ...) and the deadlines they start."""


@events_group.command("add")
@click.argument("system", type=RecordRef("AI system"))
@click.option("--kind", required=True, help="The event kind (see `tracker events kinds`).")
@click.option(
    "--at",
    "occurred_at",
    required=True,
    type=MOMENT,
    help="When its deadlines count from: when it happened or, for an incident, when the "
    "agency became aware of it (UTC unless an offset is given).",
)
@click.option("--description", default="", help="What happened (at most 2000 characters).")
@acting_user("The user recording it.")
@pass_context
@reports_errors
def add(
    ctx: Context,
    system: int | str,
    kind: str,
    occurred_at: datetime,
    description: str,
    username: str | int,
) -> None:
    """Record an event of SYSTEM (id or name) and show the duties it starts."""
    ctx.connect()
    recorder = accounts.get_user(username)
    target = register.get_system(_system_id(system))
    catalogue = ctx.catalogue()
    event = register.record_event(
        target,
        kind,
        occurred_at,
        description,
        recorder,
        cli_actor(recorder.username),
        catalogue,
    )
    echo(
        _(
            "event %(id)s recorded: %(kind)s of %(system)s (system %(system_id)s) at %(moment)s",
            id=event.id,
            kind=printable(title_of(kind, catalogue.event_kinds)),
            system=printable(target.name),
            system_id=target.id,
            moment=_when(event.occurred_at),
        )
    )
    today = max(date.today(), event.occurred_at.date())
    result = completeness.for_system(target.id, today, catalogue, ctx.settings.expiring_soon_days)
    owed = [duty for duty in result.events if duty.event_id == event.id]
    if not owed:
        echo(_("it owes nothing: no applicable requirement in force counts from this kind"))
    for duty in owed:
        echo(
            "  "
            + _(
                "owes %(requirement)s (%(title)s) by %(moment)s: %(status)s",
                requirement=duty.requirement_id,
                title=printable(duty.title),
                moment=_when(duty.deadline),
                status=_status(duty.status),
            )
        )


@events_group.command("list")
@click.argument("system", type=RecordRef("AI system"))
@click.option("--as-of", type=AS_OF, help="Replay as of this date (default: today).")
@pass_context
@reports_errors
def list_events(ctx: Context, system: int | str, as_of: date | None) -> None:
    """The events of SYSTEM (id or name), newest first, each with its duties and their status."""
    ctx.connect()
    target = register.get_system(_system_id(system))
    day = as_of or date.today()
    catalogue = ctx.catalogue()
    end = end_of(day)
    # What was known on the date: happened and recorded by its end (as completeness replays it).
    events = [
        e for e in register.events_of(target) if e.occurred_at <= end and e.recorded_at <= end
    ]
    if not events:
        echo(
            _(
                "no events recorded for %(system)s by %(date)s",
                system=printable(target.name),
                date=day.isoformat(),
            )
        )
        return
    duties: dict[int, list[EventDuty]] = {}
    try:
        result = completeness.for_system(target.id, day, catalogue, ctx.settings.expiring_soon_days)
    except NotFound:  # not registered yet on that day: it owed nothing then
        result = None
    for duty in result.events if result else ():
        duties.setdefault(duty.event_id, []).append(duty)
    for event in events:
        echo(
            f"{event.id:>6} {_when(event.occurred_at)}  {printable(event.kind):<26} "
            f"{printable(event.description)}"
        )
        for duty in duties.get(event.id, ()):
            late = " " + _("(filed late)") if duty.late else ""
            echo(
                f"{'':>8}{duty.requirement_id:<44} {_status(duty.status):<14} "
                + _("deadline %(moment)s", moment=_when(duty.deadline))
                + late
            )
        if result is not None and event.id not in duties:
            echo(f"{'':>8}" + _("owes nothing on %(date)s", date=day.isoformat()))
    if result is None:
        echo(
            _(
                "the system was registered after %(date)s: no duties are judged for then",
                date=day.isoformat(),
            )
        )


@events_group.command("kinds")
@pass_context
def kinds(ctx: Context) -> None:
    """The kinds of events that can be recorded: the tracker's core kinds and the plugins'."""
    for kind in ctx.catalogue().event_kinds.values():
        echo(
            f"{printable(kind.id):<28} {printable(_(kind.title))} "
            + _("(time recorded: %(when)s)", when=printable(_(kind.counted_from)))
        )


COMMANDS = [events_group]
