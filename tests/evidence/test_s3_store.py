"""The evidence store on S3 (moto's server over HTTP): the folder store's behaviour, multipart
uploads with bounded memory, verification as a download streams, and interrupted uploads."""

from __future__ import annotations

import hashlib
import io
import os
import time

import pytest

from evidence import IntegrityError, S3Store, open_store
from evidence.check import check_store
from evidence.s3 import VerifyingReader
from evidence.s3_location import S3Location
from evidence.s3_upload import PART_SIZE
from tracker import config

BIG = PART_SIZE * 2 + 12345  # three parts: a multipart upload, checked as it streams


@pytest.fixture
def store(s3_url, tmp_path):
    return S3Store(s3_url, tmp_path / "spool")


@pytest.fixture
def s3(s3_server):
    return s3_server.client()


def put(store, data: bytes):
    pending = store.put(io.BytesIO(data))
    store.commit(pending)
    return pending


def overwrite(s3, store, sha256: str, data: bytes) -> None:
    s3.put_object(Bucket=store.location.bucket, Key=store.key_for(sha256), Body=data)


def objects(s3, store) -> list[str]:
    listed = s3.list_objects_v2(Bucket=store.location.bucket).get("Contents", [])
    return sorted(item["Key"] for item in listed)


def test_the_url_names_the_bucket_and_prefix():
    assert S3Location.parse("s3://bucket/a/b/") == S3Location("bucket", "a/b")
    assert S3Location.parse("s3://bucket").key("objects", "x") == "objects/x"
    with pytest.raises(ValueError):
        S3Location.parse("s3:///prefix")


def test_settings_with_a_url_choose_the_s3_store(s3_url, tmp_path):
    settings = config.Settings(data_dir=tmp_path, evidence_url=s3_url).validated()
    store = open_store(settings)
    assert isinstance(store, S3Store) and str(store) == s3_url
    assert open_store(config.Settings(data_dir=tmp_path).validated()).root == (
        tmp_path / "evidence-store"
    )


@pytest.mark.parametrize("size", [10, BIG])
def test_stores_by_sha256_and_reads_back_verified(store, s3, size):
    data = os.urandom(size)
    pending = put(store, data)
    sha256 = hashlib.sha256(data).hexdigest()
    assert (pending.sha256, pending.size) == (sha256, size)
    assert store.exists(sha256)
    key = f"evidence/objects/{sha256[:2]}/{sha256[2:4]}/{sha256}"
    assert objects(s3, store) == [key]  # the temporary object is gone
    assert s3.get_object(Bucket=store.location.bucket, Key=key)["Body"].read() == data
    with store.open_verified(sha256) as handle:
        assert handle.read() == data
    with store.open(sha256) as handle:
        assert handle.read() == data
    assert store.hash_file(sha256) == (sha256, size)
    assert list(store.iter_objects()) == [(sha256, key)]
    assert store.temporary_uploads() == []
    assert not list(pending.path.parent.iterdir())  # the local spool copy is gone


def test_a_big_upload_goes_in_parts_while_it_arrives(store, s3):
    pending = store.begin()
    pending.write(os.urandom(PART_SIZE))
    uploads = s3.list_multipart_uploads(Bucket=store.location.bucket).get("Uploads", [])
    assert [u["Key"] for u in uploads] == [pending.key]  # sent before the upload ended
    assert list(store.iter_objects()) == []  # invisible until committed
    pending.discard()
    assert s3.list_multipart_uploads(Bucket=store.location.bucket).get("Uploads", []) == []
    assert objects(s3, store) == [] and store.temporary_uploads() == []


def test_identical_content_is_stored_once(store):
    first, second = store.put(io.BytesIO(b"same")), store.put(io.BytesIO(b"same"))
    assert store.commit(first) is True
    assert store.commit(second) is False
    assert len(list(store.iter_objects())) == 1
    assert store.temporary_uploads() == []


def test_remove_takes_back_a_committed_object(store):
    pending = put(store, b"rolled back")
    store.remove(pending.sha256)
    assert not store.exists(pending.sha256)
    with pytest.raises(IntegrityError, match="missing"):
        store.open_verified(pending.sha256)
    with pytest.raises(FileNotFoundError):
        store.hash_file(pending.sha256)


def test_a_small_tampered_object_is_refused_before_any_byte(store, s3):
    pending = put(store, b"original content")
    overwrite(s3, store, pending.sha256, b"altered content!")
    with pytest.raises(IntegrityError, match="hashes to"):
        store.open_verified(pending.sha256)


def test_a_big_tampered_object_is_refused_before_its_last_bytes(store, s3):
    data = os.urandom(BIG)
    pending = put(store, data)
    tampered = bytearray(data)
    tampered[-1] ^= 0xFF  # the very last byte: everything before it reads as before
    overwrite(s3, store, pending.sha256, bytes(tampered))

    handle = store.open_verified(pending.sha256)
    received = bytearray()
    with pytest.raises(IntegrityError, match="hashes to"):
        while chunk := handle.read(64 * 1024):
            received += chunk
    handle.close()
    assert len(received) == BIG - (BIG % (64 * 1024) or 64 * 1024)  # all but the last read
    assert len(received) < BIG and bytes(received) == data[: len(received)]


def test_an_object_ending_short_is_refused_before_its_last_bytes():
    data = b"x" * 1000
    reader = VerifyingReader(hashlib.sha256(data).hexdigest(), io.BytesIO(data[:900]), len(data))
    assert reader.read(600) + reader.read(600) == data[:900]
    with pytest.raises(IntegrityError, match="ended 100 bytes short"):
        reader.read(600)  # the body ended before its length: never a clean end of file


def test_a_fresh_copy_replaces_a_corrupt_one(store, s3):
    for data in (b"the signed DPIA", os.urandom(BIG)):
        first = put(store, data)
        overwrite(s3, store, first.sha256, b"bit rot")
        again = store.put(io.BytesIO(data))
        assert store.commit(again) is False
        assert again.repaired == (
            f"the stored content hashed to {hashlib.sha256(b'bit rot').hexdigest()}"
        )
        with store.open_verified(first.sha256) as handle:
            assert handle.read() == data
    assert store.temporary_uploads() == []


def test_check_reports_missing_corrupt_and_orphaned(store, s3):
    good, corrupt, orphan = (put(store, d) for d in (b"good", b"corrupt", b"orphan"))
    overwrite(s3, store, corrupt.sha256, b"changed")
    missing = "ab" * 32

    report = check_store(store, {good.sha256: 4, corrupt.sha256: 7, missing: 10})

    assert report.checked == 2 and report.missing == [missing]
    assert [sha for sha, _ in report.corrupt] == [corrupt.sha256]
    assert report.orphaned == [store.key_for(orphan.sha256)]
    assert report.lines()[-1] == "PROBLEMS FOUND"
    assert check_store(store, {good.sha256: 4, corrupt.sha256: 7, orphan.sha256: 6}).corrupt


def test_stale_multipart_uploads_are_interrupted_uploads(store, s3):
    kept = put(store, b"fine")
    killed = store.begin()  # a server killed mid-upload: nobody will complete or abort it
    killed.write(b"x" * PART_SIZE)
    killed._sent()  # its part landed before the process died
    killed._spool._file.close()  # the process is gone: its local copy is no longer held
    killed._spool.release()
    later = time.time() + 2 * 86400

    now = check_store(store, {kept.sha256: 4})
    assert now.uploads_in_progress == 1  # the multipart upload: too young to judge
    assert now.leftover_uploads == [(killed.path, PART_SIZE, pytest.approx(0, abs=60))]
    report = check_store(store, {kept.sha256: 4}, now=later)
    assert not report.ok and report.problems()["interrupted uploads"] == 2
    assert any("multipart upload" in line and "LEFTOVER" in line for line in report.lines())
    assert f"({2 * PART_SIZE} bytes in interrupted uploads)" in report.lines()[-2]

    assert store.remove_stale_temporary(24 * 3600) == (0, 0)  # recent: kept
    assert store.remove_stale_temporary(24 * 3600, now=later) == (2, 2 * PART_SIZE)
    assert s3.list_multipart_uploads(Bucket=store.location.bucket).get("Uploads", []) == []
    assert store.temporary_uploads() == [] and check_store(store, {kept.sha256: 4}).ok
