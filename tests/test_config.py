import pytest

from tracker.config import DEFAULT_SECRET_KEY, ConfigError, from_environ


def test_defaults_need_no_configuration(tmp_path):
    settings = from_environ({"TRACKER_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{(tmp_path / 'tracker.db').resolve()}"
    assert settings.evidence_dir == tmp_path / "evidence-store"
    assert settings.max_upload_bytes == 512 * 1024 * 1024
    assert settings.secret_key == DEFAULT_SECRET_KEY


def test_values_come_from_the_environment():
    settings = from_environ(
        {
            "TRACKER_DATABASE_URL": "postgresql://db/tracker",
            "TRACKER_MAX_UPLOAD_MB": "20",
            "TRACKER_SMTP_PORT": "587",
            "TRACKER_SMTP_SECURITY": "starttls",
            "TRACKER_REDIS_URL": "redis://cache:6379/2",
        }
    )
    assert settings.database_url == "postgresql://db/tracker"
    assert settings.max_upload_bytes == 20 * 1024 * 1024
    assert (settings.smtp_port, settings.smtp_security) == (587, "starttls")
    assert settings.redis_url == "redis://cache:6379/2"


def test_production_refuses_the_default_secret():
    with pytest.raises(ConfigError, match="TRACKER_SECRET_KEY"):
        from_environ({"TRACKER_ENV": "production"})


def test_production_starts_with_a_real_secret():
    settings = from_environ({"TRACKER_ENV": "production", "TRACKER_SECRET_KEY": "s" * 40})
    assert settings.is_production


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TRACKER_ENV", "staging"),
        ("TRACKER_MAX_UPLOAD_MB", "lots"),
        ("TRACKER_MAX_UPLOAD_MB", "0"),
        ("TRACKER_SMTP_PORT", "twenty-five"),
        ("TRACKER_SMTP_SECURITY", "tls"),
        ("TRACKER_TIMEZONE", "Mars/Olympus"),
    ],
)
def test_bad_values_name_the_variable(variable, value):
    with pytest.raises(ConfigError, match=variable):
        from_environ({variable: value})


def test_jurisdictions_dates_and_lead_times_are_configurable():
    settings = from_environ(
        {
            "TRACKER_JURISDICTIONS": "toolkit, eu-led",
            "TRACKER_IN_FORCE_FROM": "eu-ai-act.fria=2026-08-02,eu-ai-act.registration_provider=2026-08-02",
            "TRACKER_LEAD_DAYS": "7,60,30",
            "TRACKER_EXPIRING_SOON_DAYS": "45",
        }
    )
    assert settings.jurisdictions == ("toolkit", "eu-led")
    assert settings.in_force_from["eu-ai-act.fria"].isoformat() == "2026-08-02"
    assert settings.lead_days == (60, 30, 7)
    assert settings.expiring_soon_days == 45
    assert from_environ({}).jurisdictions is None


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TRACKER_IN_FORCE_FROM", "eu-ai-act.fria=soon"),
        ("TRACKER_LEAD_DAYS", "a,b"),
        ("TRACKER_LEAD_DAYS", "0"),
        ("TRACKER_EXPIRING_SOON_DAYS", "-1"),
    ],
)
def test_bad_requirement_settings_name_the_variable(variable, value):
    with pytest.raises(ConfigError, match=variable):
        from_environ({variable: value})


def test_reminder_settings():
    settings = from_environ(
        {
            "TRACKER_SWEEP_TIME": "06:30",
            "TRACKER_REVIEW_OVERDUE_DAYS": "10",
            "TRACKER_ESCALATE_AFTER": "2",
        }
    )
    assert (settings.sweep_time, settings.review_overdue_days, settings.escalate_after) == (
        "06:30",
        10,
        2,
    )
    for variable, value in (
        ("TRACKER_SWEEP_TIME", "7am"),
        ("TRACKER_SWEEP_TIME", "25:00"),
        ("TRACKER_ESCALATE_AFTER", "0"),
    ):
        with pytest.raises(ConfigError, match=variable):
            from_environ({variable: value})


def test_digest_max_items_is_a_bounded_whole_number():
    assert from_environ({}).digest_max_items == 150
    assert from_environ({"TRACKER_DIGEST_MAX_ITEMS": "40"}).digest_max_items == 40
    assert from_environ({"TRACKER_DIGEST_MAX_ITEMS": "10000"}).digest_max_items == 10_000
    for value, rule in (
        ("0", "must be from 10 to 10000 items per e-mail, not 0"),
        ("9", "must be from 10 to 10000 items per e-mail, not 9"),
        ("-5", "must be from 10 to 10000 items per e-mail, not -5"),
        ("10001", "must be from 10 to 10000 items per e-mail, not 10001"),
        ("many", "must be a whole number, not 'many'"),
        ("1.5", "must be a whole number, not '1.5'"),
    ):
        with pytest.raises(ConfigError, match=f"^TRACKER_DIGEST_MAX_ITEMS {rule}$"):
            from_environ({"TRACKER_DIGEST_MAX_ITEMS": value})


def test_delivery_batch_is_a_bounded_whole_number():
    assert from_environ({}).delivery_batch == 200
    assert from_environ({"TRACKER_DELIVERY_BATCH": "1"}).delivery_batch == 1
    assert from_environ({"TRACKER_DELIVERY_BATCH": "5000"}).delivery_batch == 5000
    for value, rule in (
        ("0", "must be from 1 to 5000 e-mails per job, not 0"),
        ("5001", "must be from 1 to 5000 e-mails per job, not 5001"),
        ("lots", "must be a whole number, not 'lots'"),
    ):
        with pytest.raises(ConfigError, match=f"^TRACKER_DELIVERY_BATCH {rule}$"):
            from_environ({"TRACKER_DELIVERY_BATCH": value})


def test_retry_intervals_keep_their_order_and_repeats():
    assert from_environ({}).retry_intervals == (30, 120, 600, 1800, 3600)
    assert from_environ({"TRACKER_RETRY_INTERVALS": "60,60,60"}).retry_intervals == (60, 60, 60)
    assert from_environ({"TRACKER_RETRY_INTERVALS": "600, 30"}).retry_intervals == (600, 30)
    for value in ("0,30", "thirty", "-5"):
        with pytest.raises(ConfigError, match="TRACKER_RETRY_INTERVALS"):
            from_environ({"TRACKER_RETRY_INTERVALS": value})
