"""Evidence pack pages: build a system's pack from its page, the agency-wide one from the
portfolio, follow a pack being built, and download a ready one.

The same service as the API and the CLI builds them (:func:`tracker.packs.service.start`): a
small system's pack within the request, a large one and the agency-wide one by the worker. A
download answers range requests, so an interrupted download of a large pack resumes.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, flash, g, jsonify, redirect, request, url_for

from tracker import register
from tracker.downloads import pack_download
from tracker.i18n import gettext as _
from tracker.models import Pack
from tracker.packs import records, service
from tracker.reminders import jobs
from tracker.runtime import runtime
from tracker.web import pack_view
from tracker.web.session import requires, user

log = logging.getLogger(__name__)
bp = Blueprint("pack_pages", __name__, template_folder="templates")

SYSTEM_PAGE = "system_pages.show"


@bp.app_context_processor
def pack_helpers() -> dict[str, Any]:
    """The partial ``_packs.html`` is included by other blueprints' pages."""
    return pack_view.template_helpers()


def _start(system: Any, as_of: date) -> Pack | None:
    """Ask for the pack; None (with the reason flashed) when it could not be built or queued:
    a failed build keeps its row, whose error the list shows."""
    state = runtime()
    try:
        return service.start(
            system,
            as_of,
            user().username,
            state.catalogue,
            state.settings,
            lambda: jobs.queue(state.settings),
        )
    except Exception:
        # The person sees the failure beside the pack; the log keeps the traceback.
        log.exception("evidence pack for system %s as of %s", system and system.id, as_of)
        flash(_("The evidence pack could not be built; the list below says why."), "error")
        return None


def _flash_started(pack: Pack) -> None:
    if pack.state == "ready":
        flash(_("Evidence pack %(id)s is ready to download.", id=pack.id))
    else:
        flash(
            _(
                "Evidence pack %(id)s is being built; this page shows its progress and offers "
                "the download once it is ready.",
                id=pack.id,
            )
        )


@bp.route("/systems/<int:system_id>/packs", methods=["POST"])
@requires("packs:build")
def build(system_id: int) -> Any:
    """Build the system's pack as of the date given; a bad date is shown beside the field."""
    system = register.get_system(system_id)
    form = {"as_of": request.form.get("as_of", "")}
    as_of, messages = pack_view.as_of_date(form["as_of"], system.created_at.date(), date.today())
    if as_of is None:
        g.pack_form, g.pack_errors = form, {"as_of": messages}
        # the system page, with the section's form as typed and the message beside the field
        return current_app.view_functions[SYSTEM_PAGE](system_id), 422
    pack = _start(system, as_of)
    if pack is not None:
        _flash_started(pack)
    return redirect(url_for(SYSTEM_PAGE, system_id=system.id, _anchor="packs"))


@bp.route("/packs", methods=["POST"])
@requires("packs:build")
def build_agency() -> Any:
    """Ask the worker for the agency-wide pack (every system) as of the date given."""
    as_of, messages = pack_view.as_of_date(request.form.get("as_of", ""), None, date.today())
    if as_of is None:
        for message in messages:
            flash(message, "error")
    else:
        pack = _start(None, as_of)
        if pack is not None:
            _flash_started(pack)
    return redirect(url_for("portfolio.dashboard", _anchor="packs"))


@bp.route("/packs/<int:pack_id>.json")
@requires("systems:read")
def status(pack_id: int) -> Any:
    """A pack's state and progress, which the page polls while it is being built."""
    response = jsonify(pack_view.status(records.get(pack_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/packs/<int:pack_id>/download")
@requires("evidence:download")
def download(pack_id: int) -> Any:
    """The ready pack's zip; ``Range`` requests resume an interrupted download."""
    pack = records.get(pack_id)
    if pack.state != "ready" or not pack.file_name:
        abort(409, _("This evidence pack is not ready to download."))
    response = pack_download(pack, runtime().settings)
    if response is None:
        abort(410, _("This evidence pack's file is no longer kept: build the pack again."))
    return response
