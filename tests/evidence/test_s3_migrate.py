"""``tracker evidence migrate --to URL``: folder to S3 and back, every copy verified by its hash,
an interrupted run continued, damaged copies replaced and a damaged source reported."""

from __future__ import annotations

import hashlib
import io
import os

import pytest

from evidence import ContentStore, S3Store
from evidence.migrate import migrate
from evidence.s3_upload import PART_SIZE


@pytest.fixture
def folder(settings):
    """The configured folder store, holding five files (one sent to S3 in parts)."""
    store = ContentStore(settings.evidence_dir)
    for data in [f"evidence file {n}".encode() for n in range(4)] + [os.urandom(PART_SIZE + 1)]:
        store.commit(store.put(io.BytesIO(data)))
    return store


def contents(store) -> dict[str, bytes]:
    out = {}
    for name, _where in store.iter_objects():
        with store.open_verified(name) as handle:
            out[name] = handle.read()
    assert all(hashlib.sha256(data).hexdigest() == name for name, data in out.items())
    return out


def test_folder_to_s3_and_back(runner, folder, s3_url, tmp_path, monkeypatch):
    result = runner.tracker("evidence", "migrate", "--to", s3_url)

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"copying the evidence store {folder.root} to {s3_url}"
    assert sum(" copied " in line and line.startswith("[") for line in lines) == 5
    assert lines[-2].startswith("copied 5 files (") and lines[-2].endswith(
        ", 0 already at the target, 0 failed"
    )
    assert f"set TRACKER_EVIDENCE_URL={s3_url}," in lines[-1]
    bucket = S3Store(s3_url, tmp_path / "spool")
    assert contents(bucket) == contents(folder)

    monkeypatch.setenv("TRACKER_EVIDENCE_URL", s3_url)  # now the bucket is the store in use
    back = tmp_path / "back"
    result = runner.tracker("evidence", "migrate", "--to", str(back))
    assert result.exit_code == 0, result.output
    assert "copied 5 files (" in result.output
    assert f"set TRACKER_EVIDENCE_DIR={back} TRACKER_EVIDENCE_URL=," in result.output
    assert contents(ContentStore(back)) == contents(folder)


def test_an_interrupted_run_continues(runner, folder, s3_url, tmp_path):
    target = S3Store(s3_url, tmp_path / "spool")
    done = []

    def stop_after_two(outcome, sha256, size, number, total):
        done.append((outcome, number, total))
        if number == 2:
            raise KeyboardInterrupt  # the operator's Ctrl-C, or a killed process

    with pytest.raises(KeyboardInterrupt):
        migrate(folder, target, stop_after_two)
    assert done == [("copied", 1, 5), ("copied", 2, 5)]
    assert len(list(target.iter_objects())) == 2

    result = runner.tracker("evidence", "migrate", "--to", s3_url)

    assert result.exit_code == 0, result.output
    assert result.output.count(" already there ") == 2
    assert ", 2 already at the target, 0 failed" in result.output
    assert "copied 3 files (" in result.output
    assert contents(target) == contents(folder)


def test_a_damaged_copy_at_the_target_is_replaced(folder, s3_url, s3_server, tmp_path):
    target = S3Store(s3_url, tmp_path / "spool")
    assert migrate(folder, target).copied == 5
    victim = sorted(contents(folder))[0]
    s3_server.client().put_object(
        Bucket=target.location.bucket, Key=target.key_for(victim), Body=b"bit rot"
    )

    again = migrate(folder, target)

    assert (again.copied, again.present, again.failed) == (1, 4, [])
    assert contents(target) == contents(folder)


def test_a_damaged_source_file_is_reported_not_copied(runner, folder, s3_url, tmp_path):
    victim = sorted(contents(folder))[0]
    path = folder.path_for(victim)
    path.chmod(0o640)
    path.write_bytes(b"bit rot")

    result = runner.tracker("evidence", "migrate", "--to", s3_url)

    assert result.exit_code == 1, result.output
    assert f"FAILED {victim}: the source content hashes to " in result.output
    assert "copied 4 files (" in result.output and ", 1 failed" in result.output
    assert "TRACKER_EVIDENCE_URL=" not in result.output  # nothing to switch to
    assert not S3Store(s3_url, tmp_path / "spool").exists(victim)


def test_the_store_in_use_is_no_target(runner, settings):
    result = runner.tracker("evidence", "migrate", "--to", str(settings.evidence_dir))
    assert result.exit_code == 2
    assert "is the evidence store in use" in result.output


def test_s3_to_s3(folder, s3_url, tmp_path):
    first = S3Store(s3_url, tmp_path / "spool")
    migrate(folder, first)
    second = S3Store(s3_url.rsplit("/", 1)[0] + "/moved", tmp_path / "spool")

    report = migrate(first, second)

    assert (report.copied, report.present, report.failed) == (5, 0, [])
    assert contents(second) == contents(folder)
