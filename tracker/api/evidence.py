"""API: upload evidence with its files, add versions, list, and download verified files."""

from __future__ import annotations

import peewee as pw
from flask.views import MethodView

from evidence import IntegrityError
from tracker import evidence_items
from tracker.api.auth import actor, current_user, require
from tracker.api.multipart import MultipartBlueprint
from tracker.api.pagination import QueryPage
from tracker.api.problems import PROBLEM_JSON, ProblemSchema, problem
from tracker.api.schemas import (
    EvidenceFilters,
    EvidenceOut,
    EvidenceUploadForm,
    EvidenceVersionForm,
)
from tracker.downloads import verified_download
from tracker.evidence_items import IncomingFile
from tracker.models import Blob, Evidence, EvidenceFile, EvidenceSystem, User
from tracker.runtime import runtime

blp = MultipartBlueprint(
    "evidence",
    __name__,
    url_prefix="/api/evidence",
    description="Evidence items, their versions and their integrity-checked files.",
)


def with_relations(query: pw.ModelSelect) -> list[Evidence]:
    """Evidence rows with uploader, covered systems and files, in a fixed number of queries."""
    query = query.select_extend(User).join(User, pw.JOIN.LEFT_OUTER).switch(Evidence)
    return list(
        pw.prefetch(query, EvidenceSystem, EvidenceFile.select(EvidenceFile, Blob).join(Blob))
    )


class EvidencePage(QueryPage):
    def load(self, query: pw.ModelSelect) -> list[Evidence]:
        return with_relations(query)


def one(evidence_id: int) -> Evidence:
    evidence_items.get_evidence(evidence_id)
    return with_relations(Evidence.select().where(Evidence.id == evidence_id))[0]


def incoming_files(arguments: dict) -> list[IncomingFile]:
    """The uploaded files, taken out of the parsed arguments (metadata stays behind)."""
    return [IncomingFile(f.stream, f.filename or "") for f in arguments.pop("files", [])]


@blp.route("")
class EvidenceList(MethodView):
    @require("evidence:read")
    @blp.arguments(EvidenceFilters, location="query")
    @blp.response(200, EvidenceOut(many=True))
    @blp.paginate(EvidencePage)
    def get(self, filters):
        """List evidence (newest versions only unless asked), with filters."""
        return evidence_items.find_evidence(filters)

    @require("evidence:write")
    @blp.arguments(EvidenceUploadForm, location="form")
    @blp.response(201, EvidenceOut)
    def post(self, metadata):
        """Upload evidence: one or more files (field ``files``) with their metadata."""
        item = evidence_items.add_evidence(
            runtime().store,
            metadata,
            incoming_files(metadata),
            current_user(),
            actor(),
            known_requirements=runtime().catalogue.requirements,
        )
        return one(item.id)


@blp.route("/<int:evidence_id>")
class EvidenceItem(MethodView):
    @require("evidence:read")
    @blp.response(200, EvidenceOut)
    def get(self, evidence_id):
        """One evidence version with its files."""
        return one(evidence_id)


@blp.route("/<int:evidence_id>/versions")
class EvidenceVersions(MethodView):
    @require("evidence:read")
    @blp.response(200, EvidenceOut(many=True))
    @blp.paginate(EvidencePage)
    def get(self, evidence_id):
        """Every version of this item, oldest first."""
        return evidence_items.versions(evidence_items.get_evidence(evidence_id))

    @require("evidence:write")
    @blp.arguments(EvidenceVersionForm, location="form")
    @blp.response(201, EvidenceOut)
    def post(self, metadata, evidence_id):
        """Add a version that supersedes this one; omitted metadata and files carry over."""
        previous = evidence_items.get_evidence(evidence_id)
        item = evidence_items.add_evidence(
            runtime().store,
            metadata,
            incoming_files(metadata),
            current_user(),
            actor(),
            previous=previous,
            known_requirements=runtime().catalogue.requirements,
        )
        return one(item.id)


@blp.route("/<int:evidence_id>/files/<int:file_id>/content")
class EvidenceFileContent(MethodView):
    @require("evidence:download")
    @blp.response(
        200,
        content_type="application/octet-stream",
        description="The file, after its SHA-256 was verified against the stored hash",
    )
    @blp.alt_response(
        500,
        schema=ProblemSchema,
        content_type=PROBLEM_JSON,
        description="The stored file failed its integrity check and is not served",
    )
    def get(self, evidence_id, file_id):
        """Download a file; it is served only if its content still matches its SHA-256."""
        stored = evidence_items.get_file(evidence_items.get_evidence(evidence_id), file_id)
        try:
            return verified_download(runtime().store, stored, actor())
        except IntegrityError as failure:
            return problem(
                500,
                f"The stored file failed its integrity check ({failure.problem}); it was not "
                "served and the failure was recorded in the audit trail.",
                title="Integrity failure",
                type_="urn:tracker:problem:integrity-failure",
                sha256=failure.sha256,
            )
