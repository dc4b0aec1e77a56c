"""``tracker evidence check`` and ``add`` against unsafe files and an unclean store (issue 12).

The check exits non-zero on anything but a clean store, interrupted uploads included, and
prints totals; ``add`` refuses a file whose name claims another type, in one plain line.
"""

from __future__ import annotations

import io

from evidence import ContentStore
from tests import sample_files
from tracker import accounts
from tracker.models import Blob, Evidence


def test_a_clean_store_is_ok_with_totals(runner, settings):
    store = ContentStore(settings.evidence_dir)
    pending = store.put(io.BytesIO(b"a recorded file"))
    Blob.create(sha256=pending.sha256, size=pending.size, media_type="text/plain")
    store.commit(pending)

    result = runner.tracker("evidence", "check")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "checked 1 stored files, 15 bytes" in lines
    assert "problems: corrupt 0, missing 0, orphaned 0, interrupted uploads 0" in lines[-2]
    assert lines[-1] == "OK"


def test_interrupted_uploads_fail_the_check(runner, settings):
    store = ContentStore(settings.evidence_dir)
    for number in range(2):  # what killed uploads leave: temporary files nobody holds
        (store.tmp / f"upload-killed-{number}").write_bytes(b"x" * 2048)

    result = runner.tracker("evidence", "check")

    assert result.exit_code == 1, result.output
    assert result.output.count("LEFTOVER ") == 2
    assert "interrupted uploads 2 (4096 bytes in interrupted uploads)" in result.output
    assert result.output.splitlines()[-1] == "PROBLEMS FOUND"


def test_add_refuses_a_script_named_as_a_pdf_in_one_line(runner, settings, migrated, tmp_path):
    accounts.create_user("legal-user", "legal", "test-setup")
    script = tmp_path / "audit-report.pdf.js"
    script.write_bytes(sample_files.jscript())

    result = runner.tracker(
        "evidence", "add", str(script), "--kind", "policy", "--title", "Audit report",
        "--agency-wide", "--as", "legal-user",
    )  # fmt: skip

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert (
        "audit-report.pdf.js: the name says JavaScript (.js) but the content is plain text"
        in result.output
    )
    assert Evidence.select().count() == 0
    assert list(ContentStore(settings.evidence_dir).iter_temporary()) == []
