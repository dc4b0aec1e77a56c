"""Settings for the tracker, read from ``TRACKER_*`` environment variables.

Every setting has a safe default so that a fresh checkout runs with no
configuration at all (SQLite and files under ``./instance``). Production mode
refuses to start with the default secret key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import iso3166
from limits import parse_many

from tracker import i18n
from tracker.db import PoolSettings
from tracker.territory import parse_binding

DEFAULT_SECRET_KEY = "insecure-development-key-change-me"
ENVIRONMENTS = ("development", "testing", "production")
SMTP_SECURITY = ("none", "starttls", "ssl")
MAX_DAYS = 3650  # day-count settings (lead days, review deadlines)
MAX_RETRY_SECONDS = 7 * 24 * 3600
AUDIT_KEY_MIN = 32  # characters: a generated key is 64 hex digits (256 bits)
# Days of sent reminders that escalation counts (tracker.reminders.escalation): the reminder ledger
# must keep at least these, so TRACKER_REMINDER_LEDGER_RETENTION_DAYS is checked against it.
ESCALATION_LOOKBACK_DAYS = 120
# Items one reminder e-mail may list (TRACKER_DIGEST_MAX_ITEMS): fewer than ten says too little
# to act on, more than ten thousand is megabytes no one reads.
DIGEST_MAX_ITEMS = (10, 10_000)
# E-mails per delivery job (TRACKER_DELIVERY_BATCH). Each job costs its worker a fork, a
# database and an SMTP connection: at 50 a job that was a fifth of delivering; a batch far larger
# than the day's e-mails per worker leaves the other workers idle.
DELIVERY_BATCH = (1, 5_000)


class ConfigError(ValueError):
    """A setting has a value the tracker cannot run with."""


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    data_dir: Path = Path("instance")
    database_url: str = ""
    # Connection pool, per server process (PostgreSQL, or a SQLite file): connections open
    # at once (the server's TRACKER_SERVER_THREADS, 4, each hold one during a request, and
    # the portfolio's background refresh one);
    # seconds before an idle connection is closed rather than reused; seconds a request waits
    # for a free connection when all are taken.
    database_max_connections: int = 16
    database_stale_timeout: int = 300
    database_pool_timeout: int = 10
    evidence_dir: Path = Path()
    # Where evidence files live when not on local disk: an object store URL such as
    # s3://bucket/prefix (endpoint, region and credentials from the usual AWS_* variables);
    # "" keeps the content-addressed folder evidence_dir (evidence.stores).
    evidence_url: str = ""
    redis_url: str = "redis://127.0.0.1:6379/0"
    secret_key: str = DEFAULT_SECRET_KEY
    max_upload_bytes: int = 512 * 1024 * 1024
    # `tracker serve` (tracker.serving.server): request threads and connections per worker process;
    # seconds a request line and headers may take to arrive; longest wait for a body's next byte.
    # Four threads, for clients (an upload or a download in progress holds one); how many of them
    # compute at once is server_running (README, "In front of the server").
    server_threads: int = 4
    # Requests a worker process computes at once; the others wait their turn, and a request
    # waiting on its client or computing for long does not count (tracker.serving.turns).
    server_running: int = 1
    server_connections: int = 1000
    header_timeout: int = 10
    body_timeout: int = 60
    base_url: str = "http://127.0.0.1:5000"
    timezone: str = "UTC"
    # The language of e-mails to people who have not picked one (an operator, a system contact).
    language: str = "en"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_security: str = "none"
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_ca_file: str = (
        ""  # CA certificates (PEM) to trust for the SMTP server; default: the system's
    )
    mail_sender: str = "AI Evidence Tracker <tracker@localhost>"
    template_dir: str = ""  # a folder whose e-mail templates override the packaged ones
    # Jurisdiction ids to enable; None enables every installed jurisdiction plugin.
    jurisdictions: tuple[str, ...] | None = None
    # Requirement id -> the date it is in force from, overriding the plugin's date.
    in_force_from: dict[str, date] = field(default_factory=dict)
    # Where the agency works (ISO 3166-1 alpha-2): laws reach it by their territory.
    agency_countries: tuple[str, ...] = ()
    # Jurisdiction id -> the date it binds the agency from, or None: it does not (the deployment's
    # answer where a law's membership is uncertain, e.g. "au-malabo=2023-06-08,coe-cets225=no").
    binding: dict[str, date | None] = field(default_factory=dict)
    # Days before expiry at which evidence counts as "expiring soon" (and reminders go out).
    lead_days: tuple[int, ...] = (60, 30, 7)
    expiring_soon_days: int = 30
    # Reminders: the daily sweep's local time, when a review counts as overdue, when to escalate.
    sweep_time: str = "07:00"
    review_overdue_days: int = 14
    escalate_after: int = 3
    # The most items one reminder e-mail lists: over it, the most urgent are listed, and the
    # rest counted by urgency with a link to them (every item is still counted and recorded).
    digest_max_items: int = 150
    # E-mails sent by one delivery job (one worker, one SMTP connection).
    delivery_batch: int = 200
    # Reminder ledger rows of sweeps older than this are pruned by the daily sweep, after one
    # audit event per day says what was sent (tracker.reminders.retention).
    reminder_ledger_retention_days: int = 400
    retry_intervals: tuple[int, ...] = (
        30,
        120,
        600,
        1800,
        3600,
    )  # seconds between delivery attempts
    # The audit trail's keys (tracker.audit.keys): never in the database. TRACKER_AUDIT_KEY holds
    # them itself (newest first, separated by commas); else the key file, if it exists, holds
    # one a line (`tracker audit rotate-key` writes it). Neither: the chain is not keyed.
    audit_key: str = field(default="", repr=False)
    audit_key_file: Path = Path()  # default: DATA_DIR/audit-keys
    # Signed checkpoints of the chain, one JSON line each, appended outside the database.
    audit_checkpoint_file: Path = Path()  # default: DATA_DIR/audit-checkpoints.jsonl
    # Operations: proxies in front of the app whose X-Forwarded-* headers are trusted (0: none,
    # the client connects directly); who may read /metrics (a bearer token, and/or networks
    # such as "127.0.0.0/8,10.0.0.0/8"; neither: loopback only); log lines as "json" or "text".
    trusted_proxies: int = 0
    metrics_token: str = field(default="", repr=False)
    metrics_networks: str = ""
    log_format: str = "text"
    # Evidence packs (tracker.packs): the Ed25519 key they are signed with, as PEM text or in a
    # key file (default DATA_DIR/pack-signing-key.pem), and where built packs are kept.
    pack_signing_key: str = field(default="", repr=False)
    pack_signing_key_file: Path = Path()
    pack_dir: Path = Path()
    # Temporary upload files untouched this long are interrupted uploads: removed at start-up
    # and by the daily sweep.
    upload_temp_max_age_hours: int = 24

    # Web sessions end this many hours after sign-in (signing out or a new password, at once).
    session_hours: int = 8
    # Rate limits ("N/second|minute|hour|day", several separated by ";", or "off"): sign-in
    # attempts per client IP address and, separately, per username; API requests per token
    # (per IP address without one). Counted in rate_limit_storage_url ("": the Redis of
    # redis_url; "memory://" in the testing environment, so that each test app counts alone).
    sign_in_rate_limit: str = "10/minute"
    api_rate_limit: str = "600/minute"
    rate_limit_storage_url: str = ""
    rate_limit_prefix: str = "tracker-limits"

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def database_pool(self) -> PoolSettings:
        """The connection pool the app opens its database with (an in-memory SQLite one aside)."""
        return PoolSettings(
            self.database_max_connections, self.database_stale_timeout, self.database_pool_timeout
        )

    def with_overrides(self, **overrides: Any) -> Settings:
        return replace(self, **overrides).validated()

    def validated(self) -> Settings:
        """Fill derived defaults and check every value; raise ConfigError naming the variable."""
        if self.env not in ENVIRONMENTS:
            raise ConfigError(
                f"TRACKER_ENV must be one of {', '.join(ENVIRONMENTS)}, not {self.env!r}"
            )
        if self.smtp_security not in SMTP_SECURITY:
            raise ConfigError(
                f"TRACKER_SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY)}, "
                f"not {self.smtp_security!r}"
            )
        hour, _, minute = self.sweep_time.partition(":")
        if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
            raise ConfigError(
                f"TRACKER_SWEEP_TIME must be HH:MM in the agency's time zone, not {self.sweep_time!r}"
            )
        if self.review_overdue_days <= 0 or self.escalate_after <= 0:
            raise ConfigError(
                "TRACKER_REVIEW_OVERDUE_DAYS and TRACKER_ESCALATE_AFTER must be positive"
            )
        if not DIGEST_MAX_ITEMS[0] <= self.digest_max_items <= DIGEST_MAX_ITEMS[1]:
            raise ConfigError(
                f"TRACKER_DIGEST_MAX_ITEMS must be from {DIGEST_MAX_ITEMS[0]} to "
                f"{DIGEST_MAX_ITEMS[1]} items per e-mail, not {self.digest_max_items}"
            )
        if not DELIVERY_BATCH[0] <= self.delivery_batch <= DELIVERY_BATCH[1]:
            raise ConfigError(
                f"TRACKER_DELIVERY_BATCH must be from {DELIVERY_BATCH[0]} to "
                f"{DELIVERY_BATCH[1]} e-mails per job, not {self.delivery_batch}"
            )
        if not ESCALATION_LOOKBACK_DAYS < self.reminder_ledger_retention_days <= MAX_DAYS:
            raise ConfigError(
                "TRACKER_REMINDER_LEDGER_RETENTION_DAYS must be more than the escalation look-back "
                f"({ESCALATION_LOOKBACK_DAYS} days) and at most {MAX_DAYS}, "
                f"not {self.reminder_ledger_retention_days}"
            )
        # Longer than ten years is a typo, and would push reminder dates off the calendar.
        for name, days in (
            ("TRACKER_LEAD_DAYS", max(self.lead_days, default=0)),
            ("TRACKER_EXPIRING_SOON_DAYS", self.expiring_soon_days),
            ("TRACKER_REVIEW_OVERDUE_DAYS", self.review_overdue_days),
        ):
            if days > MAX_DAYS:
                raise ConfigError(f"{name} must be at most {MAX_DAYS} days, not {days}")
        if max(self.retry_intervals, default=0) > MAX_RETRY_SECONDS:
            raise ConfigError(
                f"TRACKER_RETRY_INTERVALS must be at most {MAX_RETRY_SECONDS} seconds each"
            )
        if not 1 <= self.session_hours <= 24 * 31:
            raise ConfigError(
                f"TRACKER_SESSION_HOURS must be from 1 to {24 * 31}, not {self.session_hours}"
            )
        for name, limit in (
            ("TRACKER_SIGN_IN_RATE_LIMIT", self.sign_in_rate_limit),
            ("TRACKER_API_RATE_LIMIT", self.api_rate_limit),
        ):
            if limit.strip().lower() != "off":
                try:
                    parse_many(limit)
                except ValueError:
                    raise ConfigError(
                        f"{name} must look like '10/minute' (or '100/hour;10/minute', or 'off'), "
                        f"not {limit!r}"
                    ) from None
        if not 1 <= self.smtp_port <= 65535:
            raise ConfigError(f"TRACKER_SMTP_PORT must be from 1 to 65535, not {self.smtp_port}")
        if self.max_upload_bytes <= 0:
            raise ConfigError("TRACKER_MAX_UPLOAD_MB must be a positive number")
        for name, value, low, high in (
            ("TRACKER_SERVER_THREADS", self.server_threads, 1, 1024),
            ("TRACKER_SERVER_RUNNING", self.server_running, 1, 1024),
            ("TRACKER_SERVER_CONNECTIONS", self.server_connections, 1, 100_000),
            ("TRACKER_HEADER_TIMEOUT", self.header_timeout, 1, 3600),
            ("TRACKER_BODY_TIMEOUT", self.body_timeout, 1, 3600),
            ("TRACKER_DATABASE_MAX_CONNECTIONS", self.database_max_connections, 1, 1000),
            ("TRACKER_DATABASE_STALE_TIMEOUT", self.database_stale_timeout, 1, 86_400),
            ("TRACKER_DATABASE_POOL_TIMEOUT", self.database_pool_timeout, 1, 3600),
        ):
            if not low <= value <= high:
                raise ConfigError(f"{name} must be from {low} to {high}, not {value}")
        if self.server_connections <= self.server_threads:
            raise ConfigError(
                "TRACKER_SERVER_CONNECTIONS must be larger than TRACKER_SERVER_THREADS "
                f"({self.server_connections} <= {self.server_threads})"
            )
        if self.upload_temp_max_age_hours <= 0:
            raise ConfigError("TRACKER_UPLOAD_TEMP_MAX_AGE_HOURS must be a positive number")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"TRACKER_TIMEZONE {self.timezone!r} is not a known IANA time zone"
            ) from None
        # "fr", "fr_BE", "fr-BE.UTF-8": the language part must be one the tracker speaks.
        if (
            self.language.replace("-", "_").split(".")[0].split("_")[0].lower()
            not in i18n.LANGUAGES
        ):
            raise ConfigError(
                f"TRACKER_LANGUAGE must be one of {', '.join(i18n.LANGUAGES)}, not {self.language!r}"
            )
        if self.log_format not in ("text", "json"):
            raise ConfigError(f"TRACKER_LOG_FORMAT must be text or json, not {self.log_format!r}")
        if self.trusted_proxies < 0:
            raise ConfigError("TRACKER_TRUSTED_PROXIES must not be negative")
        bucket = self.evidence_url.removeprefix("s3://").partition("/")[0]
        if self.evidence_url and (not self.evidence_url.startswith("s3://") or not bucket):
            raise ConfigError(
                f"TRACKER_EVIDENCE_URL must be an s3://bucket/prefix URL, not {self.evidence_url!r}"
            )
        if self.is_production and self.secret_key == DEFAULT_SECRET_KEY:
            raise ConfigError(
                "TRACKER_SECRET_KEY is still the development default; "
                "set a long random value before running with TRACKER_ENV=production"
            )
        if self.is_production and len(self.secret_key) < 32:
            raise ConfigError("TRACKER_SECRET_KEY must be at least 32 characters in production")
        short = [k for k in self.audit_key.split(",") if len(k.strip()) < AUDIT_KEY_MIN]
        if self.audit_key.strip() and short:
            raise ConfigError(
                f"TRACKER_AUDIT_KEY: each key must be at least {AUDIT_KEY_MIN} characters "
                "(`tracker audit generate-key` prints one)"
            )
        data_dir = Path(self.data_dir)
        return replace(
            self,
            rate_limit_storage_url=self.rate_limit_storage_url
            or ("memory://" if self.env == "testing" else self.redis_url),
            data_dir=data_dir,
            language=i18n.supported(self.language),
            database_url=self.database_url or f"sqlite:///{(data_dir / 'tracker.db').resolve()}",
            evidence_dir=Path(self.evidence_dir)
            if str(self.evidence_dir) not in ("", ".")
            else data_dir / "evidence-store",
            audit_key_file=_path_or(self.audit_key_file, data_dir / "audit-keys"),
            audit_checkpoint_file=_path_or(
                self.audit_checkpoint_file, data_dir / "audit-checkpoints.jsonl"
            ),
            pack_signing_key_file=_path_or(
                self.pack_signing_key_file, data_dir / "pack-signing-key.pem"
            ),
            pack_dir=_path_or(self.pack_dir, data_dir / "packs"),
        )


def _path_or(value: Path | str, default: Path) -> Path:
    return Path(value) if str(value) not in ("", ".") else default


def _integer(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None


def _names(environ: Mapping[str, str], name: str) -> tuple[str, ...] | None:
    raw = environ.get(name, "").strip()
    return tuple(part.strip() for part in raw.split(",") if part.strip()) or None


def _positive_numbers(
    environ: Mapping[str, str], name: str, default: tuple[int, ...]
) -> tuple[int, ...]:
    """Whole positive numbers separated by commas, in the order given."""
    parts = _names(environ, name)
    if parts is None:
        return default
    try:
        numbers = tuple(int(p) for p in parts)
    except ValueError:
        raise ConfigError(
            f"{name} must be whole numbers separated by commas, not {environ[name]!r}"
        ) from None
    if any(n <= 0 for n in numbers):
        raise ConfigError(f"{name} must list positive numbers")
    return numbers


def _day_numbers(
    environ: Mapping[str, str], name: str, default: tuple[int, ...]
) -> tuple[int, ...]:
    """Lead times: each counted once, longest first."""
    return tuple(sorted(set(_positive_numbers(environ, name, default)), reverse=True))


def _seconds(environ: Mapping[str, str], name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    """Waits in the order given; a repeat is one more try ("60,60,60" is three), never dropped."""
    return _positive_numbers(environ, name, default)


def _countries(environ: Mapping[str, str], name: str) -> tuple[str, ...]:
    codes = tuple(dict.fromkeys(code.upper() for code in _names(environ, name) or ()))
    if bad := [code for code in codes if code not in iso3166.countries_by_alpha2]:
        raise ConfigError(
            f"{name} must list ISO 3166-1 alpha-2 country codes (e.g. BE,NL), not {', '.join(bad)}"
        )
    return codes


def _dated_ids(environ: Mapping[str, str], name: str) -> dict[str, date]:
    out = {}
    for part in _names(environ, name) or ():
        key, _, value = part.partition("=")
        try:
            out[key.strip()] = date.fromisoformat(value.strip())
        except ValueError:
            raise ConfigError(
                f"{name} entries must look like 'eu-ai-act.fria=2027-12-02', not {part!r}"
            ) from None
    return out


SPECIAL = {
    "agency_countries",
    "binding",
    "max_upload_bytes",
    "server_threads",
    "server_running",
    "server_connections",
    "header_timeout",
    "body_timeout",
    "database_max_connections",
    "database_stale_timeout",
    "database_pool_timeout",
    "trusted_proxies",
    "smtp_port",
    "jurisdictions",
    "in_force_from",
    "lead_days",
    "expiring_soon_days",
    "review_overdue_days",
    "escalate_after",
    "digest_max_items",
    "delivery_batch",
    "reminder_ledger_retention_days",
    "retry_intervals",
    "session_hours",
    "upload_temp_max_age_hours",
}


def from_environ(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from environment variables (``os.environ`` by default)."""
    env = os.environ if environ is None else environ
    names = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {}
    for name in names - SPECIAL:
        raw = env.get(f"TRACKER_{name.upper()}")
        if raw not in (None, ""):
            values[name] = raw
    megabytes = _integer(env, "TRACKER_MAX_UPLOAD_MB", 512)
    values["max_upload_bytes"] = megabytes * 1024 * 1024
    values["smtp_port"] = _integer(env, "TRACKER_SMTP_PORT", 25)
    for name, default in (
        ("server_threads", Settings.server_threads),
        ("server_running", Settings.server_running),
        ("server_connections", Settings.server_connections),
        ("header_timeout", Settings.header_timeout),
        ("body_timeout", Settings.body_timeout),
        ("database_max_connections", Settings.database_max_connections),
        ("database_stale_timeout", Settings.database_stale_timeout),
        ("database_pool_timeout", Settings.database_pool_timeout),
        ("trusted_proxies", Settings.trusted_proxies),
    ):
        values[name] = _integer(env, f"TRACKER_{name.upper()}", default)
    values["jurisdictions"] = _names(env, "TRACKER_JURISDICTIONS")
    values["in_force_from"] = _dated_ids(env, "TRACKER_IN_FORCE_FROM")
    values["agency_countries"] = _countries(env, "TRACKER_AGENCY_COUNTRIES")
    try:
        values["binding"] = parse_binding(env.get("TRACKER_BINDING", ""))
    except ValueError as error:
        raise ConfigError(f"TRACKER_BINDING: {error}") from None
    values["lead_days"] = _day_numbers(env, "TRACKER_LEAD_DAYS", (60, 30, 7))
    values["expiring_soon_days"] = _integer(env, "TRACKER_EXPIRING_SOON_DAYS", 30)
    values["review_overdue_days"] = _integer(env, "TRACKER_REVIEW_OVERDUE_DAYS", 14)
    values["escalate_after"] = _integer(env, "TRACKER_ESCALATE_AFTER", 3)
    values["digest_max_items"] = _integer(
        env, "TRACKER_DIGEST_MAX_ITEMS", Settings.digest_max_items
    )
    values["delivery_batch"] = _integer(env, "TRACKER_DELIVERY_BATCH", Settings.delivery_batch)
    values["reminder_ledger_retention_days"] = _integer(
        env, "TRACKER_REMINDER_LEDGER_RETENTION_DAYS", Settings.reminder_ledger_retention_days
    )
    values["upload_temp_max_age_hours"] = _integer(env, "TRACKER_UPLOAD_TEMP_MAX_AGE_HOURS", 24)
    values["retry_intervals"] = _seconds(env, "TRACKER_RETRY_INTERVALS", (30, 120, 600, 1800, 3600))
    values["session_hours"] = _integer(env, "TRACKER_SESSION_HOURS", 8)
    if values["expiring_soon_days"] < 0:
        raise ConfigError("TRACKER_EXPIRING_SOON_DAYS must not be negative")
    return Settings(**values).validated()
