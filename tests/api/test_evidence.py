"""Evidence through the API: upload, versions, listing, verified download, refusals."""

import base64
import hashlib
import io

import httpx
import pytest
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.http import parse_options_header
from werkzeug.test import encode_multipart

from tests import sample_files
from tests.factories import profile, upload_form
from tests.web.queries import counted
from tracker.models import AuditEvent, Blob, Evidence, EvidenceFile


@pytest.fixture
def system_id(client, auth):
    return client.post("/api/systems", json=profile(), headers=auth("legal")).json["id"]


@pytest.fixture
def upload(client, auth):
    def upload(role="legal", url="/api/evidence", **kwargs):
        return client.post(
            url, data=upload_form(**kwargs), headers=auth(role), content_type="multipart/form-data"
        )

    return upload


def store_is_empty(app) -> bool:
    store = app.extensions["tracker"].store
    return (
        Evidence.select().count() == 0
        and EvidenceFile.select().count() == 0
        and Blob.select().count() == 0
        and not list(store.iter_objects())
        and not list(store.iter_temporary())
    )


def test_round_trip_returns_the_same_bytes_and_hash(client, auth, upload, system_id):
    content = sample_files.pdf("Human rights impact assessment, version 1")
    created = upload(system_ids=[system_id], files=[(content, "hria.pdf")])
    assert created.status_code == 201, created.json
    item = created.json
    assert item["system_ids"] == [system_id] and item["uploaded_by"] == "legal-user"
    stored = item["files"][0]
    assert stored["sha256"] == hashlib.sha256(content).hexdigest()
    assert (stored["size"], stored["media_type"], stored["name"]) == (
        len(content),
        "application/pdf",
        "hria.pdf",
    )

    listed = client.get(f"/api/evidence?system_id={system_id}", headers=auth("viewer")).json
    assert [e["id"] for e in listed] == [item["id"]]

    with client.get(stored["download_url"], headers=auth("auditor")) as download:
        body = download.data
    assert download.status_code == 200
    assert body == content
    assert hashlib.sha256(body).hexdigest() == stored["sha256"]
    assert (
        download.headers["Repr-Digest"]
        == f"sha-256=:{base64.b64encode(hashlib.sha256(content).digest()).decode()}:"
    )
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download.headers["Content-Disposition"]


def test_several_files_and_identical_content_stored_once(app, upload, system_id):
    pdf = sample_files.pdf()
    first = upload(
        system_ids=[system_id], files=[(pdf, "a.pdf"), (sample_files.csv(), "register.csv")]
    )
    second = upload(system_ids=[system_id], files=[(pdf, "copy-of-a.pdf")])
    assert first.status_code == second.status_code == 201
    assert [f["media_type"] for f in first.json["files"]] == ["application/pdf", "text/csv"]
    assert Blob.select().count() == 2
    assert len(list(app.extensions["tracker"].store.iter_objects())) == 2
    assert second.json["files"][0]["sha256"] == first.json["files"][0]["sha256"]


def test_agency_wide_evidence_covers_every_system(client, auth, upload, system_id):
    strategy = upload(agency_wide="true", kind="policy", title="Responsible AI strategy")
    assert strategy.status_code == 201 and strategy.json["agency_wide"] is True
    listed = client.get(f"/api/evidence?system_id={system_id}", headers=auth("viewer")).json
    assert [e["title"] for e in listed] == ["Responsible AI strategy"]


def test_a_new_version_supersedes_and_history_stays(client, auth, upload, system_id):
    first = upload(
        system_ids=[system_id], title="DPIA", files=[(sample_files.pdf("v1"), "dpia-v1.pdf")]
    ).json
    second = client.post(
        f"/api/evidence/{first['id']}/versions",
        headers=auth("legal"),
        content_type="multipart/form-data",
        data={
            "valid_until": "2028-01-01",
            "files": [(io.BytesIO(sample_files.pdf("v2")), "dpia-v2.pdf")],
        },
    )
    assert second.status_code == 201, second.json
    second = second.json
    assert (second["version"], second["lineage"]) == (2, first["id"])
    assert second["title"] == "DPIA" and second["system_ids"] == [system_id]  # carried over
    assert second["valid_until"] == "2028-01-01"
    assert second["files"][0]["name"] == "dpia-v2.pdf"

    current = client.get("/api/evidence", headers=auth("viewer")).json
    assert [e["id"] for e in current] == [second["id"]]
    history = client.get(f"/api/evidence/{second['id']}/versions", headers=auth("viewer")).json
    assert [(e["version"], e["superseded_at"] is not None) for e in history] == [
        (1, True),
        (2, False),
    ]
    with client.get(history[0]["files"][0]["download_url"], headers=auth("dpo")) as old_file:
        assert old_file.status_code == 200  # the old version's file is still served

    stale = upload(url=f"/api/evidence/{first['id']}/versions")
    assert stale.status_code == 409


def test_a_metadata_only_version_keeps_the_files(client, auth, upload, system_id):
    first = upload(system_ids=[system_id]).json
    second = client.post(
        f"/api/evidence/{first['id']}/versions",
        data={"title": "DPIA (corrected title)"},
        headers=auth("legal"),
        content_type="multipart/form-data",
    )
    assert second.status_code == 201
    assert [f["sha256"] for f in second.json["files"]] == [f["sha256"] for f in first["files"]]
    assert second.json["kind"] == "impact_assessment"


def test_tampered_file_is_refused_reported_and_found_by_check(
    app, client, auth, upload, system_id, runner
):
    item = upload(system_ids=[system_id]).json
    stored = item["files"][0]
    path = app.extensions["tracker"].store.path_for(stored["sha256"])
    path.chmod(0o640)
    tampered = bytearray(path.read_bytes())
    tampered[len(tampered) // 2] ^= 0xFF
    path.write_bytes(bytes(tampered))

    response = client.get(stored["download_url"], headers=auth("auditor"))
    assert response.status_code == 500
    assert response.content_type == "application/problem+json"
    assert (
        response.json["title"] == "Integrity failure"
        and response.json["sha256"] == stored["sha256"]
    )
    assert bytes(tampered) not in response.data
    failure = AuditEvent.get(AuditEvent.action == "evidence_file.integrity_failure")
    assert failure.after["sha256"] == stored["sha256"] and failure.actor == "auditor-user"

    result = runner.tracker("evidence", "check")
    assert result.exit_code == 1
    assert f"CORRUPT  {stored['sha256']}" in result.output


def test_check_reports_missing_and_orphaned_files(app, upload, system_id, runner):
    item = upload(system_ids=[system_id]).json
    store = app.extensions["tracker"].store
    store.path_for(item["files"][0]["sha256"]).unlink()
    orphan = store.commit(store.put(io.BytesIO(b"stray file")))
    assert orphan
    result = runner.tracker("evidence", "check")
    assert result.exit_code == 1
    assert f"MISSING  {item['files'][0]['sha256']}" in result.output
    assert "ORPHANED" in result.output


def test_oversize_upload_is_413_and_leaves_nothing(app, client, auth, system_id):
    too_big = b"A" * (5 * 1024 * 1024)  # the test app allows 4 MiB
    form = upload_form(system_ids=[system_id], files=[])
    form["files"] = [FileStorage(io.BytesIO(too_big), "huge.txt")]
    # Encoded here rather than by the test client, which spools large bodies to a file it never closes.
    boundary, body = encode_multipart(
        MultiDict(
            [(k, v) for k, vs in form.items() for v in (vs if isinstance(vs, list) else [vs])]
        )
    )
    response = client.post(
        "/api/evidence",
        data=body,
        headers=auth("legal"),
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 413
    assert response.content_type == "application/problem+json"
    assert "upload limit of 4 MiB" in response.json["detail"]
    assert store_is_empty(app)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([(b"", "empty.pdf")], "empty.pdf: the file is empty."),
        ([(sample_files.html(), "report.pdf")], "content is text/html"),
        ([(sample_files.executable(), "tool.docx")], "not an accepted evidence format"),
        (
            [(sample_files.pdf(), "ok.pdf"), (sample_files.svg(), "chart.png")],
            "content is image/svg+xml",
        ),
    ],
)
def test_empty_and_wrong_type_files_are_refused_and_leave_nothing(
    app, upload, system_id, files, message
):
    response = upload(system_ids=[system_id], files=files)
    assert response.status_code == 422
    assert response.json["errors"][0]["field"].startswith("files.")
    assert message in response.json["errors"][0]["detail"]
    assert store_is_empty(app)


@pytest.mark.parametrize(
    ("metadata", "field", "rule"),
    [
        ({"kind": "memo"}, "kind", "Must be one of"),
        ({"title": ""}, "title", "Length must be between 1 and 300."),
        ({"valid_until": "next year"}, "valid_until", "Not a valid date."),
        (
            {"valid_from": "2026-06-01", "valid_until": "2026-01-01"},
            "valid_until",
            "Must not be before valid_from.",
        ),
        ({"issued_on": "2999-01-01"}, "issued_on", "Must not be in the future."),
        ({"kind": "training_certificate"}, "certified_person", "must name the person"),
        ({"requirement_ids": ["not an id"]}, "requirement_ids.0", "requirement id"),
        ({"system_ids": ["999"]}, "system_ids", "No AI system with id 999."),
        ({"system_ids": []}, "system_ids", "Name at least one AI system"),
    ],
)
def test_bad_metadata_is_refused_before_anything_is_stored(
    app, upload, system_id, metadata, field, rule
):
    metadata.setdefault("system_ids", [system_id])
    response = upload(**metadata)
    assert response.status_code == 422, response.json
    assert response.content_type == "application/problem+json"
    matching = [e for e in response.json["errors"] if e["field"] == field]
    assert matching and rule in matching[0]["detail"], response.json["errors"]
    assert store_is_empty(app)


def test_an_upload_needs_files(client, auth, app, system_id):
    response = client.post(
        "/api/evidence",
        data={"kind": "policy", "title": "x", "system_ids": [str(system_id)]},
        headers=auth("legal"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "files"
    assert store_is_empty(app)


def test_the_client_filename_is_only_a_label(app, upload, system_id):
    response = upload(system_ids=[system_id], files=[(sample_files.text(), "../../etc/passwd")])
    assert response.status_code == 201
    stored = response.json["files"][0]
    assert stored["name"] == "passwd"
    store = app.extensions["tracker"].store
    assert [name for name, _ in store.iter_objects()] == [stored["sha256"]]


def test_list_filters(client, auth, upload, system_id):
    upload(
        system_ids=[system_id],
        kind="audit",
        title="Bias audit",
        requirement_ids=["toolkit.audit_evaluation"],
        valid_from="2025-01-01",
        valid_until="2025-12-31",
    )
    upload(
        system_ids=[system_id],
        kind="training_certificate",
        title="Cert",
        certified_person="Bea Kovacs",
        requirement_ids=["toolkit.end_user_training", "eu-ai-act.ai_literacy"],
    )

    def titles(query):
        return [
            e["title"] for e in client.get(f"/api/evidence?{query}", headers=auth("viewer")).json
        ]

    assert titles("kind=audit") == ["Bias audit"]
    assert titles("requirement_id=eu-ai-act.ai_literacy") == ["Cert"]
    assert titles("valid_on=2025-06-01") == ["Bias audit"]
    assert titles("valid_on=2026-06-01") == ["Cert"]
    assert titles("q=bias") == ["Bias audit"]
    assert client.get("/api/evidence?kind=memo", headers=auth("viewer")).status_code == 422


def test_listing_does_not_query_per_row(client, auth, upload, system_id, migrated):
    for number in range(6):
        upload(system_ids=[system_id], title=f"Item {number}")
    with counted(migrated) as queries:
        items = client.get("/api/evidence", headers=auth("viewer")).json
    assert len(items) == 6
    data_queries = [q for q in queries if "evidence" in q.lower() or "blob" in q.lower()]
    assert len(data_queries) <= 4, data_queries


def test_a_chunked_upload_over_the_limit_is_cut_off_and_leaves_nothing(
    app, live_server, tokens, system_id
):
    boundary = "----tracker-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\npolicy\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nBig\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="agency_wide"\r\n\r\ntrue\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()

    def body():  # a generator: httpx sends it chunked, with no Content-Length
        yield head
        for _ in range(12):  # 12 MiB against a 4 MiB limit
            yield b"C" * (1024 * 1024)
        yield f"\r\n--{boundary}--\r\n".encode()

    response = httpx.post(
        f"{live_server}/api/evidence",
        content=body(),
        timeout=30,
        headers={
            "Authorization": f"Bearer {tokens['legal']}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert store_is_empty(app)


def test_intended_requirements_must_exist_in_the_catalogue(app, upload, system_id):
    response = upload(system_ids=[system_id], requirement_ids=["eu-led.dpia", "eu-led.nonexistent"])
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "requirement_ids"
    assert "eu-led.nonexistent" in response.json["errors"][0]["detail"]
    assert store_is_empty(app)


# --- Dangerous uploads (issue 12, item 3) -------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "says"),
    [
        (
            sample_files.jscript(),
            "audit-report.pdf.js",
            "audit-report.pdf.js: the name says JavaScript (.js) but the content is plain text",
        ),
        (
            sample_files.docm(),
            "certificate.docm",
            "certificate.docm: it contains macros ([Content_Types].xml: macroEnabled); "
            "macro-enabled files are refused",
        ),
        (
            sample_files.xlsx_with_embedded("Package1.bin", sample_files.windows_program()),
            "register.xlsx",
            "register.xlsx: it contains an executable file (xl/embeddings/Package1.bin)",
        ),
        (
            sample_files.xlsx_with_embedded(
                "oleObject1.bin", sample_files.ole_package(sample_files.windows_program())
            ),
            "register.xlsx",
            "register.xlsx: it contains an embedded OLE object (xl/embeddings/oleObject1.bin)",
        ),
        (
            sample_files.pdf_html_polyglot(),
            "audit-report.html",
            "audit-report.html: the name says HTML (.html) but the content is PDF document",
        ),
    ],
)
def test_dangerous_uploads_are_refused_with_a_problem_saying_why(
    app, upload, system_id, data, name, says
):
    response = upload(system_ids=[system_id], files=[(sample_files.pdf(), "ok.pdf"), (data, name)])
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert response.json["type"] == "urn:tracker:problem:invalid-input"
    (error,) = response.json["errors"]
    assert error["field"] == "files.1" and error["pointer"] == "#/files/1"
    assert says in error["detail"] and says in response.json["detail"]
    assert store_is_empty(app)


def downloaded_as(response) -> str:
    return parse_options_header(response.headers["Content-Disposition"])[1]["filename"]


def test_a_file_is_downloaded_under_its_detected_types_extension(client, auth, upload, system_id):
    item = upload(system_ids=[system_id], files=[(sample_files.text(), "minutes")]).json
    with client.get(item["files"][0]["download_url"], headers=auth("auditor")) as download:
        assert download.status_code == 200 and downloaded_as(download) == "minutes.txt"
    # a file stored before names had to agree with content keeps its label, not its extension
    EvidenceFile.update(display_name="audit-report.html").execute()
    with client.get(item["files"][0]["download_url"], headers=auth("auditor")) as download:
        assert downloaded_as(download) == "audit-report.html.txt"
    shown = client.get(f"/api/evidence/{item['id']}", headers=auth("viewer")).json
    assert shown["files"][0]["name"] == "audit-report.html"


# --- A good re-upload repairs a corrupt stored file (issue 12, item 4) --------------------------


def test_a_good_reupload_repairs_a_corrupt_stored_file(app, client, auth, upload, system_id):
    content = sample_files.pdf("Signed DPIA")
    first = upload(system_ids=[system_id], files=[(content, "dpia.pdf")]).json
    stored = first["files"][0]
    path = app.extensions["tracker"].store.path_for(stored["sha256"])
    path.chmod(0o640)
    path.write_bytes(content[:-10] + b"0123456789")
    assert client.get(stored["download_url"], headers=auth("auditor")).status_code == 500

    again = upload(system_ids=[system_id], title="DPIA (re-sent)", files=[(content, "dpia.pdf")])
    assert again.status_code == 201, again.json

    with client.get(stored["download_url"], headers=auth("auditor")) as download:
        assert download.status_code == 200 and download.data == content
    repaired = AuditEvent.get(AuditEvent.action == "evidence.blob_repaired")
    assert (repaired.entity_type, repaired.entity_id) == ("blob", stored["sha256"])
    assert repaired.actor == "legal-user" and "hashed to" in repaired.before["problem"]
    assert repaired.after == {
        "sha256": stored["sha256"],
        "size": len(content),
        "evidence_id": again.json["id"],
    }
    assert list(app.extensions["tracker"].store.iter_temporary()) == []


def test_a_reupload_restores_a_missing_stored_file(app, client, auth, upload, system_id):
    content = sample_files.pdf("Training register")
    first = upload(system_ids=[system_id], files=[(content, "register.pdf")]).json
    stored = first["files"][0]
    app.extensions["tracker"].store.path_for(stored["sha256"]).unlink()

    assert upload(system_ids=[system_id], files=[(content, "register.pdf")]).status_code == 201
    with client.get(stored["download_url"], headers=auth("auditor")) as download:
        assert download.status_code == 200 and download.data == content
    repaired = AuditEvent.get(AuditEvent.action == "evidence.blob_repaired")
    assert repaired.before == {"problem": "the stored file is missing"}


def test_a_good_duplicate_upload_records_no_repair(client, auth, upload, system_id):
    content = sample_files.pdf("Policy")
    upload(system_ids=[system_id], files=[(content, "a.pdf")])
    assert upload(system_ids=[system_id], files=[(content, "b.pdf")]).status_code == 201
    assert not AuditEvent.select().where(AuditEvent.action == "evidence.blob_repaired").exists()
