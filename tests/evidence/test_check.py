import io

from evidence import ContentStore
from evidence.check import check_store


def test_reports_missing_corrupt_and_orphaned(tmp_path):
    store = ContentStore(tmp_path)
    good, corrupt, orphan = (store.put(io.BytesIO(d)) for d in (b"good", b"corrupt", b"orphan"))
    for pending in (good, corrupt, orphan):
        store.commit(pending)
    path = store.path_for(corrupt.sha256)
    path.chmod(0o640)
    path.write_bytes(b"changed")
    missing = "ab" * 32
    expected = {good.sha256: 4, corrupt.sha256: 7, missing: 10}

    report = check_store(store, expected)

    assert not report.ok
    assert report.checked == 2
    assert report.missing == [missing]
    assert [sha for sha, _ in report.corrupt] == [corrupt.sha256]
    assert [p.name for p in report.orphaned] == [orphan.sha256]
    assert report.lines()[-1] == "PROBLEMS FOUND"


def test_a_healthy_store_is_ok(tmp_path):
    store = ContentStore(tmp_path)
    pending = store.put(io.BytesIO(b"fine"))
    store.commit(pending)
    report = check_store(store, {pending.sha256: 4})
    assert report.ok and report.lines()[-1] == "OK"


def test_size_mismatch_counts_as_corrupt(tmp_path):
    store = ContentStore(tmp_path)
    pending = store.put(io.BytesIO(b"fine"))
    store.commit(pending)
    report = check_store(store, {pending.sha256: 5})
    assert report.corrupt and "size is 4" in report.corrupt[0][1]
