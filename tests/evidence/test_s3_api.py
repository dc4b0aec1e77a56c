"""Evidence through the API and the CLI with TRACKER_EVIDENCE_URL naming an S3 bucket (moto's
server): uploads land under their hash, downloads are verified, a tampered object is refused
and recorded, and ``tracker evidence check`` finds what is wrong in the bucket."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import date

import pytest
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from evidence import IntegrityError, S3Store
from evidence.s3_upload import PART_SIZE
from tests import sample_files
from tests.factories import profile, upload_form
from tracker.models import AuditEvent, Blob, EvidenceFile
from tracker.packs import records, verify
from tracker.runtime import runtime


@pytest.fixture
def settings(settings, s3_url):
    return settings.with_overrides(evidence_url=s3_url, max_upload_bytes=32 * 1024 * 1024)


@pytest.fixture
def runner(runner, s3_url, monkeypatch):
    monkeypatch.setenv("TRACKER_EVIDENCE_URL", s3_url)
    return runner


@pytest.fixture
def upload(client, auth):
    system_id = client.post("/api/systems", json=profile(), headers=auth("legal")).json["id"]

    def upload(files, **metadata):
        form = upload_form(system_ids=[system_id], files=[], **metadata)
        form["files"] = [FileStorage(io.BytesIO(data), name) for data, name in files]
        # Encoded here rather than by the test client, which spools large bodies to a file it
        # never closes.
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
        assert response.status_code == 201, response.json
        return {**response.json["files"][0], "evidence_id": response.json["id"]}

    return upload


def overwrite(s3_server, store: S3Store, sha256: str, data: bytes) -> None:
    s3_server.client().put_object(
        Bucket=store.location.bucket, Key=store.key_for(sha256), Body=data
    )


def big_text() -> bytes:
    line = b"Processing log of the licence plate readers, one line per day of 2026.\n"
    return line * (PART_SIZE * 2 // len(line))  # two parts and a bit: streamed both ways


def test_uploads_go_to_the_bucket_and_download_verified(app, client, auth, upload, s3_server):
    store = app.extensions["tracker"].store
    assert isinstance(store, S3Store)
    for content, name in ((sample_files.pdf("DPIA"), "dpia.pdf"), (big_text(), "log.txt")):
        stored = upload([(content, name)])
        sha256 = hashlib.sha256(content).hexdigest()
        assert stored["sha256"] == sha256
        body = s3_server.client().get_object(
            Bucket=store.location.bucket, Key=store.key_for(sha256)
        )
        assert body["Body"].read() == content

        response = client.get(stored["download_url"], headers=auth("auditor"))
        assert response.status_code == 200
        assert response.data == content
        assert response.content_length == len(content)
    assert store.temporary_uploads() == []


def test_a_tampered_small_object_is_refused_and_recorded(app, client, auth, upload, s3_server):
    content = sample_files.pdf("DPIA")
    stored = upload([(content, "dpia.pdf")])
    store = app.extensions["tracker"].store
    tampered = bytearray(content)
    tampered[len(tampered) // 2] ^= 0xFF
    overwrite(s3_server, store, stored["sha256"], bytes(tampered))

    response = client.get(stored["download_url"], headers=auth("auditor"))

    assert response.status_code == 500
    assert response.json["title"] == "Integrity failure"
    assert response.json["sha256"] == stored["sha256"]
    assert bytes(tampered) not in response.data
    failure = AuditEvent.get(AuditEvent.action == "evidence_file.integrity_failure")
    assert failure.after["sha256"] == stored["sha256"] and "hashes to" in failure.after["problem"]


def test_a_tampered_big_object_is_cut_short_and_recorded(app, client, auth, upload, s3_server):
    content = big_text()
    stored = upload([(content, "log.txt")])
    tampered = bytearray(content)
    tampered[10] ^= 0x01  # same size: only the hash of the whole can tell
    overwrite(s3_server, app.extensions["tracker"].store, stored["sha256"], bytes(tampered))

    response = client.get(stored["download_url"], headers=auth("auditor"), buffered=False)
    assert response.status_code == 200  # sent before the end could be checked
    received = bytearray()
    with pytest.raises(IntegrityError, match="hashes to"):
        for chunk in response.response:
            received += chunk
    response.close()

    assert 0 < len(received) < len(content)  # the last bytes were never handed out
    failure = AuditEvent.get(AuditEvent.action == "evidence_file.integrity_failure")
    assert failure.after["sha256"] == stored["sha256"] and failure.actor == "auditor-user"


def test_check_on_the_bucket(app, upload, runner, s3_server):
    store = app.extensions["tracker"].store
    good = upload([(sample_files.pdf("good"), "good.pdf")])
    result = runner.tracker("evidence", "check")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "OK"
    assert "checked 1 stored files" in result.output

    corrupt = upload([(sample_files.pdf("corrupt"), "corrupt.pdf")])
    overwrite(s3_server, store, corrupt["sha256"], b"bit rot")
    missing = upload([(sample_files.pdf("missing"), "missing.pdf")])
    store.remove(missing["sha256"])
    orphan = store.put(io.BytesIO(b"stray file"))
    store.commit(orphan)

    result = runner.tracker("evidence", "check")

    assert result.exit_code == 1, result.output
    assert f"CORRUPT  {corrupt['sha256']}" in result.output
    assert f"MISSING  {missing['sha256']}" in result.output
    assert f"ORPHANED {store.key_for(orphan.sha256)}" in result.output
    assert f"{good['sha256']}" not in result.output
    assert "problems: corrupt 1, missing 1, orphaned 1, interrupted uploads 0" in result.output
    assert Blob.select().count() == 3


def test_check_says_when_the_bucket_cannot_be_reached(runner, monkeypatch):
    monkeypatch.setenv("TRACKER_EVIDENCE_URL", "s3://no-such-bucket-here/evidence")
    result = runner.tracker("evidence", "check")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "cannot use the evidence store s3://no-such-bucket-here/evidence" in result.output


def test_a_pack_carries_the_files_from_the_bucket(app, client, auth, settings, upload, tmp_path):
    content = sample_files.pdf("Data protection impact assessment")
    stored = upload([(content, "dpia.pdf")], requirement_ids=["eu-led.dpia"])
    accepted = client.post(
        f"/api/evidence/{stored['evidence_id']}/reviews",
        json={"decision": "accepted"},
        headers=auth("dpo"),
    )
    assert accepted.status_code == 201, accepted.json
    with app.app_context():
        catalogue = runtime().catalogue
    system = EvidenceFile.get(EvidenceFile.blob == stored["sha256"]).evidence.system_links[0].system
    pack = records.request(system, date.today(), "cli:test")
    target = tmp_path / "pack.zip"

    records.build(pack, catalogue, settings, target)

    assert verify.check(target).ok
    with zipfile.ZipFile(target) as archive:
        carried = [archive.read(n) for n in archive.namelist() if n.endswith("dpia.pdf")]
    assert carried and all(data == content for data in carried)  # once per requirement
