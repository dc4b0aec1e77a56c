"""Asking for a pack from the API or the web: built at once when small, else by a worker.

A system whose evidence is small is packed within the request (the person waits a second or
two and downloads); a larger one, and the agency-wide pack, go to the RQ worker, whose
progress the pack's row shows until it is ready.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from peewee import fn
from rq import Queue

from tracker.config import Settings
from tracker.models import AISystem, Blob, Evidence, EvidenceFile, EvidenceSystem, Pack
from tracker.operations import request_id
from tracker.packs import records
from tracker.plugin_host import Catalogue

INLINE_BYTES = 64 * 1024 * 1024  # evidence up to this size is packed within the request
JOB_TIMEOUT = 6 * 3600  # seconds: a pack of many gigabytes on slow storage


def evidence_bytes(system_id: int) -> int:
    """The stored size of every current file linked to the system, and the agency's: an upper
    bound of what its pack holds, found without evaluating it."""
    linked = (
        EvidenceFile.select(fn.COALESCE(fn.SUM(Blob.size), 0))
        .join(Blob)
        .switch(EvidenceFile)
        .join(Evidence)
        .where(
            Evidence.superseded_at.is_null()
            & (
                Evidence.agency_wide
                | Evidence.id.in_(
                    EvidenceSystem.select(EvidenceSystem.evidence).where(
                        EvidenceSystem.system == system_id
                    )
                )
            )
        )
    )
    return int(linked.scalar() or 0)


def start(
    system: AISystem | None,
    as_of: date,
    actor: str,
    catalogue: Catalogue,
    settings: Settings,
    queue: Callable[[], Queue],
) -> Pack:
    """Ask for a pack; build it now when it is small, else queue it. ``queue`` is called only
    when a worker is needed (so a small pack needs no Redis)."""
    pack = records.request(system, as_of, actor)
    if system is not None and evidence_bytes(system.id) <= INLINE_BYTES:
        return records.build(pack, catalogue, settings)
    try:
        # The job's log lines and audit events carry the id of the request that asked for it.
        queue().enqueue(
            records.build_job, pack.id, job_timeout=JOB_TIMEOUT, meta=request_id.job_meta()
        )
    except Exception as error:
        Pack.update(state="failed", error=f"could not queue the build: {error}").where(
            Pack.id == pack.id
        ).execute()
        raise
    return Pack.get_by_id(pack.id)
