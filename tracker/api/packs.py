"""API: evidence packs, one signed and verifiable bundle per system (or for all) and date.

``POST /api/systems/{id}/packs`` asks for a system's pack as of a date: answered 201 with the
pack when it was small enough to build at once, else 202 while a worker builds it (poll
``GET /api/packs/{id}``: its ``progress`` moves, then ``state`` is ``ready``). The download
answers range requests, so an interrupted download of a large pack resumes.
"""

from __future__ import annotations

from datetime import date

import marshmallow as ma
from flask import url_for
from flask.views import MethodView
from marshmallow import fields
from redis.exceptions import RedisError

from tracker import register
from tracker.api.auth import actor, require
from tracker.api.blueprint import Blueprint
from tracker.api.fields import UtcDateTime, database_id
from tracker.api.problems import problem
from tracker.downloads import pack_download
from tracker.models import Pack
from tracker.packs import records, service
from tracker.reminders import jobs
from tracker.runtime import runtime

blp = Blueprint(
    "packs",
    __name__,
    url_prefix="/api",
    description="Signed evidence packs (BagIt in a zip) for auditors, per system and date.",
)


class PackIn(ma.Schema):
    as_of = fields.Date(metadata={"description": "The date the pack shows (default: today)"})


class AgencyPackIn(PackIn):
    system_id = database_id(
        allow_none=True,
        metadata={"description": "The system; omitted or null: every system (agency-wide)"},
    )


class PackFilters(ma.Schema):
    system_id = database_id(metadata={"description": "Only this system's packs"})


class PackOut(ma.Schema):
    id = fields.Integer()
    system_id = fields.Integer(allow_none=True, metadata={"description": "null: agency-wide"})
    as_of = fields.Date()
    requested_by = fields.String()
    requested_at = UtcDateTime()
    state = fields.String(metadata={"description": "queued, building, ready or failed"})
    progress = fields.Method("_progress", metadata={"description": "Percent built, 0-100"})
    finished_at = UtcDateTime(allow_none=True)
    size = fields.Integer(metadata={"description": "Bytes of the zip file"})
    sha256 = fields.String(metadata={"description": "SHA-256 of the zip file"})
    manifest_sha256 = fields.String(
        metadata={"description": "SHA-256 of its content manifest: equal for equal content"}
    )
    signature = fields.String(metadata={"description": "Base64 Ed25519 over its tag manifest"})
    key_id = fields.String()
    files = fields.Integer()
    error = fields.String()
    download_url = fields.Method("_download")

    def _progress(self, pack: Pack) -> int:
        return records.progress(pack)

    def _download(self, pack: Pack) -> str | None:
        if pack.state != "ready":
            return None
        return url_for("packs.PackDownload", pack_id=pack.id)


def _start(system_id: int | None, as_of: date | None):
    state = runtime()
    system = register.get_system(system_id) if system_id is not None else None
    try:
        pack = service.start(
            system,
            as_of or date.today(),
            actor(),
            state.catalogue,
            state.settings,
            lambda: jobs.queue(state.settings),
        )
    except RedisError:
        return problem(503, "The pack could not be queued: the job queue (Redis) is unreachable.")
    status = 201 if pack.state == "ready" else 202
    return pack, status, {"Location": url_for("packs.OnePack", pack_id=pack.id)}


@blp.route("/systems/<int:system_id>/packs")
class SystemPacks(MethodView):
    @require("systems:read")
    @blp.response(200, PackOut(many=True))
    def get(self, system_id):
        """The system's packs, newest first."""
        register.get_system(system_id)
        return records.for_system(system_id)

    @require("packs:build")
    @blp.arguments(PackIn)
    @blp.response(201, PackOut, description="Built at once: ready to download")
    @blp.alt_response(202, schema=PackOut, description="Queued: a worker builds it")
    def post(self, body, system_id):
        """Build the system's evidence pack as of a date (recorded in the audit trail)."""
        return _start(system_id, body.get("as_of"))


@blp.route("/packs")
class Packs(MethodView):
    @require("systems:read")
    @blp.arguments(PackFilters, location="query")
    @blp.response(200, PackOut(many=True))
    def get(self, filters):
        """Packs, newest first: one system's, or the agency-wide ones."""
        return records.for_system(filters.get("system_id"))

    @require("packs:build")
    @blp.arguments(AgencyPackIn)
    @blp.response(201, PackOut, description="Built at once: ready to download")
    @blp.alt_response(202, schema=PackOut, description="Queued: a worker builds it")
    def post(self, body):
        """Build a pack: one system's, or without ``system_id`` every system's."""
        return _start(body.get("system_id"), body.get("as_of"))


@blp.route("/packs/<int:pack_id>")
class OnePack(MethodView):
    @require("systems:read")
    @blp.response(200, PackOut)
    def get(self, pack_id):
        """One pack: its state and progress, and once ready its hashes and signature."""
        return records.get(pack_id)


@blp.route("/packs/<int:pack_id>/content")
class PackDownload(MethodView):
    @require("evidence:download")
    @blp.response(200, content_type="application/zip", description="The pack (ranges accepted)")
    def get(self, pack_id):
        """Download a ready pack; ``Range`` requests resume an interrupted download."""
        return pack_response(records.get(pack_id))


def pack_response(pack: Pack):
    """The pack's file with range support, or a problem when it is not ready."""
    if pack.state != "ready" or not pack.file_name:
        return problem(409, f"The pack is {pack.state}, not ready to download.")
    response = pack_download(pack, runtime().settings)
    if response is None:
        return problem(410, "The pack's file is no longer kept; build the pack again.")
    return response
