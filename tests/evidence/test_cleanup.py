"""Interrupted uploads are removed at start-up and by the daily sweep (issue 12, item 5)."""

from __future__ import annotations

import os
import time
from datetime import date

import pytest
from redis import Redis

from evidence import ContentStore
from tracker import config
from tracker.app import create_app
from tracker.plugin_host import load_catalogue_for
from tracker.reminders import jobs


def leave_uploads(store: ContentStore, hours_old: float) -> tuple:
    """An interrupted upload ``hours_old`` hours old, and a fresh one."""
    old = store.tmp / "upload-killed"
    old.write_bytes(b"x" * 4096)
    moment = time.time() - hours_old * 3600
    os.utime(old, (moment, moment))
    fresh = store.tmp / "upload-fresh"
    fresh.write_bytes(b"y")
    return old, fresh


def test_the_setting_is_read_and_checked():
    assert config.from_environ({}).upload_temp_max_age_hours == 24
    environ = {"TRACKER_UPLOAD_TEMP_MAX_AGE_HOURS": "6"}
    assert config.from_environ(environ).upload_temp_max_age_hours == 6
    with pytest.raises(config.ConfigError, match="TRACKER_UPLOAD_TEMP_MAX_AGE_HOURS"):
        config.from_environ({"TRACKER_UPLOAD_TEMP_MAX_AGE_HOURS": "0"})
    with pytest.raises(config.ConfigError, match="TRACKER_UPLOAD_TEMP_MAX_AGE_HOURS"):
        config.from_environ({"TRACKER_UPLOAD_TEMP_MAX_AGE_HOURS": "a day"})


def test_start_up_removes_interrupted_uploads_older_than_the_setting(settings, migrated):
    old, fresh = leave_uploads(ContentStore(settings.evidence_dir), hours_old=25)
    live = ContentStore(settings.evidence_dir).begin()  # held by a live upload: never removed
    os.utime(live.path, (time.time() - 90000, time.time() - 90000))

    create_app(settings)

    assert not old.exists() and fresh.exists() and live.path.exists()
    live.discard()


def test_start_up_follows_the_setting(settings, migrated):
    old, _fresh = leave_uploads(ContentStore(settings.evidence_dir), hours_old=3)
    create_app(settings)
    assert old.exists()
    create_app(settings.with_overrides(upload_temp_max_age_hours=2))
    assert not old.exists()


def test_the_daily_sweep_removes_interrupted_uploads(settings, migrated, services, monkeypatch):
    old, fresh = leave_uploads(ContentStore(settings.evidence_dir), hours_old=48)
    monkeypatch.setattr(jobs, "context", lambda: (settings, load_catalogue_for(settings)))
    monkeypatch.setattr(jobs, "redis_connection", lambda _s: Redis.from_url(services.redis_url))
    # a day of its own: the sweep's lock never meets another test's
    day = date(2031, 1, 14 + os.getpid() % 10).isoformat()

    result = jobs.sweep_job(day)

    assert result["as_of"] == day and "skipped" not in result
    assert not old.exists() and fresh.exists()
