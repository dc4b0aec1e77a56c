import pytest

from evidence.sniff import DisallowedType, check_allowed
from tests import sample_files


@pytest.mark.parametrize(
    ("maker", "media_type"),
    [
        (sample_files.pdf, "application/pdf"),
        (
            sample_files.docx,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (sample_files.csv, "text/csv"),
        (sample_files.text, "text/plain"),
        (sample_files.email, "message/rfc822"),
    ],
)
def test_accepted_formats_are_recognised_from_content(tmp_path, maker, media_type):
    path = tmp_path / "upload.bin"  # the name says nothing: only the bytes count
    path.write_bytes(maker())
    assert check_allowed(path) == media_type


@pytest.mark.parametrize(
    "maker",
    [sample_files.html, sample_files.svg, sample_files.zip_archive, sample_files.executable],
)
def test_active_or_opaque_content_is_refused(tmp_path, maker):
    path = tmp_path / "report.pdf"  # a lying extension does not help
    path.write_bytes(maker())
    with pytest.raises(DisallowedType, match="not an accepted evidence format"):
        check_allowed(path)
