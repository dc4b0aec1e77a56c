"""CLI: the agency's name, logo and published contacts (``tracker agency show|set``).

The same :func:`tracker.agency.update` as the settings page; options not given keep what is
stored, so one contact can change without retyping the rest.
"""

from __future__ import annotations

from pathlib import Path

import click

from tracker import agency, images
from tracker.cli import Context, cli_actor, pass_context, reports_errors
from tracker.cli.output import echo, printable
from tracker.i18n import gettext as _
from tracker.i18n import ngettext


@click.group("agency")
def agency_group() -> None:
    """Show or set the agency's name, logo and contacts."""


def _show(profile: agency.Agency) -> None:
    stored = agency.logo()
    logo = (
        f"{stored[1]}, " + ngettext("%(num)s byte", "%(num)s bytes", len(stored[0]))
        if stored
        else _("none")
    )
    rows = [
        (_("name:"), printable(profile.name) if profile.name else ""),
        (_("DPO contact:"), printable(profile.dpo_contact) if profile.dpo_contact else ""),
        (_("complaints:"), printable(profile.complaints) if profile.complaints else ""),
        (_("contact:"), printable(profile.contact) if profile.contact else ""),
        (_("logo:"), logo),
    ]
    if profile.updated_at:
        rows.append((_("updated:"), f"{profile.updated_at:%Y-%m-%d %H:%M} UTC"))
    # The values aligned after the longest label (13 columns in English, wider in French).
    width = max(13, *(len(label) for label, _value in rows))
    unset = _("(not set)")
    for label, value in rows:
        echo(f"{label:<{width}} {value or unset}")


@agency_group.command("show")
@pass_context
def show(ctx: Context) -> None:
    """Print the agency's settings."""
    ctx.connect()
    _show(agency.current())


@agency_group.command("set")
@click.option("--name", help="The agency's name, heading every page ('' for the product name).")
@click.option("--dpo-contact", help="The data protection officer's e-mail address.")
@click.option("--complaints", help="How the public complains (address, web page, authority).")
@click.option("--contact", help="The agency's general contact for the public register.")
@click.option(
    "--logo",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A PNG, JPEG, WebP or SVG image (at most 256 KB).",
)
@click.option("--remove-logo", is_flag=True, help="Remove the logo.")
@pass_context
@reports_errors
def set_agency(
    ctx: Context,
    name: str | None,
    dpo_contact: str | None,
    complaints: str | None,
    contact: str | None,
    logo: Path | None,
    remove_logo: bool,
) -> None:
    """Change the agency's settings; options not given keep their stored value."""
    if logo is not None and remove_logo:
        raise click.UsageError("give --logo or --remove-logo, not both")
    ctx.connect()
    current = agency.current()
    values = {field: getattr(current, field) for field in agency.TEXT_LIMITS}
    given = {"name": name, "dpo_contact": dpo_contact, "complaints": complaints, "contact": contact}
    values.update({key: value for key, value in given.items() if value is not None})
    new_logo = images.logo(logo.read_bytes()) if logo is not None else None
    _show(agency.update(values, cli_actor(), logo=new_logo, remove_logo=remove_logo))


COMMANDS = [agency_group]
