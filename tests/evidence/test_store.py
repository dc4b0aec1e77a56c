import hashlib
import io
import os
import time

import pytest

from evidence import ContentStore, IntegrityError
from evidence.store import in_progress


@pytest.fixture
def store(tmp_path):
    return ContentStore(tmp_path / "store")


def put(store, data: bytes):
    pending = store.put(io.BytesIO(data))
    store.commit(pending)
    return pending


def test_stores_by_sha256_and_reads_back_verified(store):
    data = b"impact assessment" * 1000
    pending = put(store, data)
    assert pending.sha256 == hashlib.sha256(data).hexdigest()
    assert pending.size == len(data)
    assert store.path_for(pending.sha256).read_bytes() == data
    with store.open_verified(pending.sha256) as handle:
        assert handle.read() == data


def test_identical_content_is_stored_once(store):
    first = store.put(io.BytesIO(b"same"))
    second = store.put(io.BytesIO(b"same"))
    assert store.commit(first) is True
    assert store.commit(second) is False
    assert len(list(store.iter_objects())) == 1
    assert list(store.iter_temporary()) == []


def test_pending_upload_is_invisible_until_committed(store):
    pending = store.begin()
    pending.write(b"partial")
    assert list(store.iter_objects()) == []
    pending.discard()
    assert list(store.iter_temporary()) == []


def test_stored_files_are_read_only(store):
    pending = put(store, b"x")
    assert store.path_for(pending.sha256).stat().st_mode & 0o222 == 0


def test_tampered_file_is_refused(store):
    pending = put(store, b"original content")
    path = store.path_for(pending.sha256)
    path.chmod(0o640)
    path.write_bytes(b"altered content!")
    with pytest.raises(IntegrityError, match="hashes to"):
        store.open_verified(pending.sha256)


def test_missing_file_is_refused(store):
    pending = put(store, b"content")
    store.path_for(pending.sha256).unlink()
    with pytest.raises(IntegrityError, match="missing"):
        store.open_verified(pending.sha256)


def test_path_for_refuses_anything_but_a_digest(store):
    with pytest.raises(ValueError):
        store.path_for("../../etc/passwd")


def corrupt(store, sha256: str, data: bytes = b"bit rot") -> None:
    path = store.path_for(sha256)
    path.chmod(0o640)
    path.write_bytes(data)


def test_a_fresh_copy_replaces_a_corrupt_one(store):
    data = b"the signed DPIA"
    first = put(store, data)
    corrupt(store, first.sha256)

    again = store.put(io.BytesIO(data))
    assert store.commit(again) is False  # not new content: nothing to take back on a rollback
    assert (
        again.repaired == f"the stored content hashed to {hashlib.sha256(b'bit rot').hexdigest()}"
    )
    with store.open_verified(first.sha256) as handle:
        assert handle.read() == data
    assert store.path_for(first.sha256).stat().st_mode & 0o222 == 0
    assert list(store.iter_temporary()) == []  # renamed into place, not copied


def test_a_good_stored_copy_is_kept_and_the_duplicate_dropped(store):
    first = put(store, b"same")
    inode = store.path_for(first.sha256).stat().st_ino
    again = store.put(io.BytesIO(b"same"))
    assert store.commit(again) is False and again.repaired is None
    assert store.path_for(first.sha256).stat().st_ino == inode
    assert list(store.iter_temporary()) == []


def test_a_fresh_copy_damaged_on_its_way_to_disk_repairs_nothing(store):
    first = put(store, b"original")
    corrupt(store, first.sha256)
    again = store.put(io.BytesIO(b"original"))
    again.path.write_bytes(b"damaged too")  # the disk lost it after it was hashed
    with pytest.raises(IntegrityError, match="uploaded copy"):
        store.commit(again)
    assert store.path_for(first.sha256).read_bytes() == b"bit rot"
    assert list(store.iter_temporary()) == []


def test_stale_temporary_files_are_removed_and_live_or_recent_ones_kept(store):
    now = time.time()
    interrupted = store.tmp / "upload-killed"  # what a killed worker leaves: nobody holds it
    interrupted.write_bytes(b"x" * 1000)
    os.utime(interrupted, (now - 2 * 86400, now - 2 * 86400))
    recent = store.tmp / "upload-recent"
    recent.write_bytes(b"y")
    live = store.begin()  # an upload stalled for days but still alive
    live.write(b"z" * 10)
    live.flush()
    os.utime(live.path, (now - 3 * 86400, now - 3 * 86400))

    assert store.remove_stale_temporary(24 * 3600, now=now) == (1, 1000)
    assert sorted(store.iter_temporary()) == sorted([recent, live.path])
    assert in_progress(live.path) and not in_progress(recent)
    live.discard()
    assert not in_progress(live.path)
