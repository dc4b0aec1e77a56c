"""Fixtures for the evidence store on S3: moto's server for the session, a bucket per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.evidence.s3_server import S3Server, running_s3_server


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    with running_s3_server() as server:
        yield server


@pytest.fixture
def s3_url(s3_server, monkeypatch) -> Iterator[str]:
    """``s3://<a new bucket>/evidence``, with the AWS variables pointing boto3 at the server."""
    for name, value in s3_server.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    bucket = s3_server.new_bucket()
    yield f"s3://{bucket}/evidence"
    s3_server.empty_bucket(bucket)
