"""CLI: request, decide and list waivers."""

from __future__ import annotations

from datetime import date

import click

from tracker import accounts, register, waivers
from tracker.cli import Context, cli_actor, pass_context, reports_errors
from tracker.cli.output import echo, printable
from tracker.cli.params import DAY, RecordId, acting_user
from tracker.i18n import N_
from tracker.i18n import gettext as _
from tracker.models import Waiver
from tracker.vocabulary import STATUS_WORDS


@click.group("waivers")
def waivers_group() -> None:
    """Waivers of a requirement for a system, until a date."""


@waivers_group.command("request")
@click.argument("system_id", type=RecordId("AI system"))
@click.argument("requirement_id")
@click.option("--justification", required=True)
@click.option("--expires", required=True, type=DAY, help="YYYY-MM-DD")
@acting_user("The user requesting it.")
@pass_context
@reports_errors
def request(
    ctx: Context,
    system_id: int,
    requirement_id: str,
    justification: str,
    expires: date,
    username: str | int,
) -> None:
    """Request a waiver of REQUIREMENT_ID for SYSTEM_ID."""
    ctx.connect()
    requester = accounts.get_user(username)
    waiver = waivers.request_waiver(
        register.get_system(system_id),
        requirement_id,
        justification,
        expires,
        requester,
        cli_actor(requester.username),
        ctx.catalogue(),
    )
    echo(_("waiver %(id)s requested; another DPO must approve it", id=waiver.id))


def _decision(name: str, decide, summary: str) -> click.Command:
    @click.argument("waiver_id", type=RecordId("waiver"))
    @click.option("--note", default="")
    @acting_user("The data protection officer deciding.")
    @pass_context
    @reports_errors
    def command(ctx: Context, waiver_id: int, note: str, username: str | int) -> None:
        ctx.connect()
        officer = accounts.get_user(username)
        waiver = decide(Waiver.find_by_id(waiver_id), officer, note, cli_actor(officer.username))
        state = _(STATUS_WORDS[waiver.state]) if waiver.state in STATUS_WORDS else waiver.state
        echo(_("waiver %(id)s is %(state)s", id=waiver.id, state=state))

    return waivers_group.command(name, help=summary)(command)


_decision("approve", waivers.approve_waiver, N_("Approve a waiver, as a data protection officer."))
_decision("reject", waivers.reject_waiver, N_("Reject a waiver, as a data protection officer."))
_decision("revoke", waivers.revoke_waiver, N_("Revoke a waiver, as a data protection officer."))


@waivers_group.command("list")
@click.option("--system", "system_id", type=RecordId("AI system"))
@click.option("--state", type=click.Choice(["requested", "approved", "rejected", "revoked"]))
@pass_context
def list_waivers(ctx: Context, system_id: int | None, state: str | None) -> None:
    """List waivers."""
    ctx.connect()
    for waiver in waivers.find_waivers({"system_id": system_id, "state": state}):
        number = f"{waiver.system_id:<4}"  # padded: the columns after it stay aligned
        system = _("system %(id)s", id=number)
        shown = _(STATUS_WORDS[waiver.state]) if waiver.state in STATUS_WORDS else waiver.state
        echo(
            f"{waiver.id:>4} {system} {printable(waiver.requirement_id):<40} {shown:<9} "
            + _("until %(date)s", date=str(waiver.expires_on))
        )


COMMANDS = [waivers_group]
