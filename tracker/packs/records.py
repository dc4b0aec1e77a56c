"""Packs asked for, built and kept: one ``pack`` row each, and an audit event when built.

A pack is asked for (:func:`request`: a row in state ``queued``), built by an RQ worker
(:func:`build_job` -> :func:`build`: ``building`` with progress, then ``ready`` or
``failed``) into the pack folder, written to a temporary name and renamed once complete and
flushed, so a half-written pack is never served. The CLI builds in the same way, in process.
The audit event ``pack.built`` records who asked, for which system and date, the pack's
SHA-256, its content manifest's SHA-256 and its signature.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import peewee as pw

from tracker import audit, prepared
from tracker.config import Settings
from tracker.db import utcnow, write_transaction
from tracker.errors import NotFound
from tracker.models import AISystem, Pack
from tracker.packs import contents, signing
from tracker.packs.build import Scope, write_pack
from tracker.plugin_host import Catalogue

log = logging.getLogger(__name__)
ACTION = "pack.built"
ENTITY = "pack"
PROGRESS_EVERY = 1.0  # seconds between progress writes to the pack's row


def file_root(pack: Pack) -> str:
    """The pack's folder name inside the zip, and its file name without ``.zip``."""
    if pack.system_id is None:
        return f"pack-all-{pack.as_of.isoformat()}-{pack.id}"
    system = AISystem.get_by_id(pack.system_id)
    return contents.safe_name(f"pack-{system.id}-{system.name}", 80).replace(" ", "-") + (
        f"-{pack.as_of.isoformat()}-{pack.id}"
    )


def request(system: AISystem | None, as_of: date, actor: str) -> Pack:
    """A new pack row, queued; the caller enqueues :func:`build_job` for it."""
    with write_transaction():
        return Pack.create(system=system, as_of=as_of, requested_by=actor)


def path_of(pack: Pack, settings: Settings) -> Path:
    return settings.pack_dir / pack.file_name


def build(
    pack: Pack,
    catalogue: Catalogue,
    settings: Settings,
    target: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Pack:
    """Build ``pack`` into ``target`` (default: the pack folder) and record it."""
    key = signing.key_for(settings, create=True)
    root = file_root(pack)
    final = target or settings.pack_dir / f"{root}.zip"
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = final.with_name(f".{final.name}.part")
    Pack.update(state="building", error="").where(Pack.id == pack.id).execute()
    last = [0.0]

    def report(done: int, total: int) -> None:
        if progress:
            progress(done, total)
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY:
            last[0] = now
            Pack.update(done=done, total=total).where(Pack.id == pack.id).execute()

    try:
        with open(partial, "wb") as out:
            written = write_pack(
                out, Scope(pack.as_of, pack.system_id), catalogue, settings, key, root, report
            )
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, final)
    except BaseException as error:
        partial.unlink(missing_ok=True)
        Pack.update(state="failed", error=str(error)[:2000], finished_at=utcnow()).where(
            Pack.id == pack.id
        ).execute()
        raise
    details = {
        "system_id": pack.system_id,
        "as_of": pack.as_of,
        "requested_by": pack.requested_by,
        "file_name": final.name,
        "size": written.size,
        "sha256": written.sha256,
        "manifest_sha256": written.manifest_sha256,
        "signature": signing.encoded(written.signature),
        "key_id": key.key_id,
        "files": written.files,
    }
    with write_transaction():
        Pack.update(
            state="ready",
            done=written.payload_bytes,
            total=written.payload_bytes,
            finished_at=utcnow(),
            file_name=final.name if target is None else "",
            size=written.size,
            sha256=written.sha256,
            manifest_sha256=written.manifest_sha256,
            signature=details["signature"],
            key_id=key.key_id,
            files=written.files,
        ).where(Pack.id == pack.id).execute()
        audit.record(pack.requested_by, ACTION, ENTITY, pack.id, after=details)
    return Pack.get_by_id(pack.id)


def build_job(pack_id: int) -> dict:
    """The worker's job: build one queued pack."""
    from tracker.reminders import jobs  # the worker's settings and catalogue, loaded once

    settings, catalogue = jobs.context()
    from tracker import db

    with db.database.connection_context():
        pack = Pack.get_by_id(pack_id)
        built = build(pack, catalogue, settings)
    return {"pack": built.id, "sha256": built.sha256, "size": built.size}


def for_system(system_id: int | None, limit: int | None = None) -> list[Pack]:
    """The system's packs (the agency-wide ones with None), newest first; ``limit``: at most."""
    # Every system page lists them: the SQL is built once per shape (tracker.prepared).
    given = tuple(value for value in (system_id, limit) if value is not None)
    shape = ("packs", system_id is None, limit is None)
    return prepared.select(shape, lambda *values: _packs(system_id is None, limit, values), *given)


def _packs(agency_wide: bool, limit: int | None, values: tuple) -> pw.Query:
    query = Pack.select()
    if agency_wide:
        query = query.where(Pack.system.is_null())
    else:
        query, values = query.where(Pack.system == values[0]), values[1:]
    query = query.order_by(Pack.requested_at.desc(), Pack.id.desc())
    return query.limit(values[0]) if limit is not None else query


def get(pack_id: int) -> Pack:
    """One pack; NotFound when there is none with that id."""
    pack = Pack.get_or_none(Pack.id == pack_id)
    if pack is None:
        raise NotFound(Pack.label, pack_id)
    return pack


def progress(pack: Pack) -> int:
    """Percent built, 0-100: 100 only once ready (the last bytes written are not the end)."""
    if pack.state == "ready":
        return 100
    if not pack.total:
        return 0
    return min(99, int(100 * pack.done / pack.total))
