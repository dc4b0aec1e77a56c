import hashlib
import io

import pytest

from evidence import ContentStore, IntegrityError


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
