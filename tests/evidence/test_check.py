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


def test_interrupted_uploads_make_the_store_unclean_and_are_totalled(tmp_path):
    store = ContentStore(tmp_path)
    pending = store.put(io.BytesIO(b"fine"))
    store.commit(pending)
    for number in range(3):  # three killed uploads: files nobody holds
        (store.tmp / f"upload-killed-{number}").write_bytes(b"x" * 100)
    live = store.begin()  # an upload in progress is not a problem
    live.write(b"partial")

    report = check_store(store, {pending.sha256: 4})
    live.discard()

    assert not report.ok
    assert report.problems() == {
        "corrupt": 0,
        "missing": 0,
        "orphaned": 0,
        "interrupted uploads": 3,
    }
    lines = report.lines()
    assert sum(line.startswith("LEFTOVER") for line in lines) == 3
    assert "checked 1 stored files, 4 bytes" in lines
    assert (
        "problems: corrupt 0, missing 0, orphaned 0, interrupted uploads 3 "
        "(300 bytes in interrupted uploads)" in lines
    )
    assert "uploads in progress: 1" in lines
    assert lines[-1] == "PROBLEMS FOUND"


def test_an_upload_in_progress_leaves_the_store_clean(tmp_path):
    store = ContentStore(tmp_path)
    live = store.begin()
    live.write(b"partial")
    report = check_store(store, {})
    live.discard()
    assert report.ok and report.uploads_in_progress == 1
