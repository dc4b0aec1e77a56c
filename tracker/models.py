"""The tracker's tables, as peewee models bound to the shared database proxy.

Timestamps are naive UTC. Nothing here is ever hard-deleted: systems are
retired, operators removed with a date, evidence superseded, tokens revoked,
so that any past state can be reconstructed and audited.
"""

from __future__ import annotations

from typing import Any, Self

import peewee as pw

from tracker import prepared
from tracker.db import MAX_ID, database, utcnow
from tracker.errors import NotFound
from tracker.i18n import N_


class BaseModel(pw.Model):
    label = N_("record")  # how error messages name one of these

    class Meta:
        database = database
        legacy_table_names = False

    @classmethod
    def find(cls, *conditions: Any, identifier: Any) -> Self:
        """The one row matching ``conditions``, or NotFound naming ``identifier``."""
        row = cls.get_or_none(*conditions)
        if row is None:
            raise NotFound(cls.label, identifier)
        return row

    @classmethod
    def find_by_id(cls, identifier: int) -> Self:
        if isinstance(identifier, int) and not 1 <= identifier <= MAX_ID:
            # No row can have it, and the database would refuse the number itself.
            raise NotFound(cls.label, identifier)
        # Each page reads its record by id: the SQL is built once per model (tracker.prepared).
        row = prepared.first((cls, "by id"), cls._by_id, identifier)
        if row is None:
            raise NotFound(cls.label, identifier)
        return row

    @classmethod
    def _by_id(cls, identifier: Any) -> pw.Query:
        return cls.select().where(cls._meta.primary_key == identifier).limit(1)


class User(BaseModel):
    label = N_("user")
    username = pw.CharField(max_length=80, unique=True)
    full_name = pw.CharField(max_length=200, default="")
    email = pw.CharField(max_length=254, default="")
    role = pw.CharField(max_length=20)
    password_hash = pw.CharField(max_length=255, null=True)  # argon2id
    is_active = pw.BooleanField(default=True)
    # Consecutive failed sign-ins, and until when sign-in is refused after too many.
    failed_sign_ins = pw.IntegerField(default=0)
    locked_until = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=utcnow)
    # The language pages, e-mails and PDFs use for this user ("" = the browser's, then English).
    language = pw.CharField(max_length=10, default="")


class ApiToken(BaseModel):
    label = N_("API token")
    user = pw.ForeignKeyField(User, backref="tokens")
    name = pw.CharField(max_length=120)
    # SHA-256 of the secret; the secret itself is shown once and never stored.
    token_hash = pw.CharField(max_length=64, unique=True)
    prefix = pw.CharField(max_length=16)
    created_at = pw.DateTimeField(default=utcnow)
    expires_at = pw.DateTimeField(null=True)
    revoked_at = pw.DateTimeField(null=True)


class WebSession(BaseModel):
    """A signed-in browser session: the cookie carries a random key, this row its SHA-256.

    Signing out deletes the row, so a copy of the cookie stops working at once; a new password
    or a deactivation deletes every row of the user. Sessions are credentials, not records:
    unlike everything else here they are deleted when they end.
    """

    label = N_("session")
    user = pw.ForeignKeyField(User, backref="web_sessions", on_delete="CASCADE")
    key_hash = pw.CharField(max_length=64, unique=True)
    created_at = pw.DateTimeField(default=utcnow)
    expires_at = pw.DateTimeField(index=True)


class AISystem(BaseModel):
    label = N_("AI system")
    name = pw.CharField(max_length=200)
    version = pw.CharField(max_length=80, default="")
    vendor = pw.CharField(max_length=200, default="")
    purpose = pw.TextField()
    authorised_use_cases = pw.JSONField(default=list)
    development_approach = pw.CharField(max_length=20)
    lifecycle_stage = pw.CharField(max_length=40, index=True)
    risk_level = pw.CharField(max_length=10, index=True)
    processes_personal_data = pw.BooleanField()
    purpose_type = pw.CharField(max_length=20)
    biometric_identification = pw.CharField(max_length=20, default="none")
    ai_act_roles = pw.JSONField(default=list)
    profiling = pw.BooleanField(default=False)
    people_affected = pw.JSONField(default=list)
    annex_iii_areas = pw.JSONField(default=list)
    public_authority = pw.BooleanField(default=True)
    countries = pw.JSONField(default=list)  # used in besides the agency's own (ISO 3166-1)
    public_facing = pw.BooleanField(default=False)
    units_with_access = pw.JSONField(default=list)
    data_sharing = pw.TextField(default="")
    usage_description = pw.TextField(default="")
    personal_data_handling = pw.TextField(default="")
    contacts = pw.JSONField(default=list)
    # Listed in the public transparency register, showing the fields whose level is public;
    # ``publication`` overrides the default level of a field (tracker.publication).
    published = pw.BooleanField(default=False)
    publication = pw.JSONField(default=dict)
    # Answers to profile questions declared by jurisdiction plugins, by question id.
    answers = pw.JSONField(default=dict)
    # The jurisdictions the system falls under; empty means every one the deployment enables.
    jurisdictions = pw.JSONField(default=list)
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)
    retired_at = pw.DateTimeField(null=True, index=True)
    retired_reason = pw.TextField(default="")

    class Meta:
        table_name = "ai_system"


class Operator(BaseModel):
    label = N_("operator")
    system = pw.ForeignKeyField(AISystem, backref="operators")
    name = pw.CharField(max_length=200)
    email = pw.CharField(max_length=254)
    unit = pw.CharField(max_length=200, default="")
    added_at = pw.DateTimeField(default=utcnow)
    removed_at = pw.DateTimeField(null=True)


class Blob(BaseModel):
    """One stored file content, addressed by its SHA-256; shared by identical uploads."""

    sha256 = pw.CharField(max_length=64, primary_key=True)
    size = pw.BigIntegerField()
    media_type = pw.CharField(max_length=120)
    stored_at = pw.DateTimeField(default=utcnow)


class SystemEvent(BaseModel):
    """Something that happened to a system and starts deadlines (one use, a breach, ...).

    ``kind`` is an event kind id (tracker.events.kinds); ``occurred_at`` is the moment its
    deadlines count from (for an incident, when the agency became aware of it).
    """

    label = N_("event")
    system = pw.ForeignKeyField(AISystem, backref="events")
    kind = pw.CharField(max_length=30)
    occurred_at = pw.DateTimeField(index=True)
    description = pw.TextField(default="")
    recorded_by = pw.ForeignKeyField(User, null=True)
    recorded_at = pw.DateTimeField(default=utcnow)


class Evidence(BaseModel):
    """One version of a piece of evidence; versions of the same item share a lineage."""

    label = N_("evidence")
    lineage = pw.IntegerField(index=True)
    version = pw.IntegerField(default=1)
    kind = pw.CharField(max_length=40, index=True)
    title = pw.CharField(max_length=300)
    description = pw.TextField(default="")
    issued_on = pw.DateField(null=True)
    valid_from = pw.DateField(null=True)
    valid_until = pw.DateField(null=True, index=True)
    issuer = pw.CharField(max_length=200, default="")
    certified_person = pw.CharField(max_length=200, default="")
    requirement_ids = pw.JSONField(default=list)
    agency_wide = pw.BooleanField(default=False)
    uploaded_by = pw.ForeignKeyField(User, backref="uploads", null=True)
    created_at = pw.DateTimeField(default=utcnow)
    superseded_at = pw.DateTimeField(null=True, index=True)
    # The event this evidence answers (e.g. the authorisation of one use); it then counts for
    # that event's duties only, never for another event's.
    event = pw.ForeignKeyField(SystemEvent, null=True, backref="evidence")

    class Meta:
        indexes = ((("lineage", "version"), True),)


# The agency-wide items alone (a partial index: no other row is in it), so that one system's
# completeness reads them without reading every item of the agency (schema 13). By upload
# time, which that query bounds: SQLite's planner then prefers it to superseded_at's index.
Evidence.add_index(
    Evidence.index(Evidence.created_at, name="evidence_agency_wide", where=pw.SQL("agency_wide"))
)


class EvidenceSystem(BaseModel):
    evidence = pw.ForeignKeyField(Evidence, backref="system_links")
    system = pw.ForeignKeyField(AISystem, backref="evidence_links")

    class Meta:
        indexes = ((("evidence", "system"), True),)


class EvidenceFile(BaseModel):
    label = N_("file")
    evidence = pw.ForeignKeyField(Evidence, backref="files")
    blob = pw.ForeignKeyField(Blob, backref="uses", column_name="sha256", object_id_name="sha256")
    display_name = pw.CharField(max_length=255)
    position = pw.IntegerField(default=0)


class EvidenceReview(BaseModel):
    """A DPO's decision on one evidence version; it records exactly which file hashes were approved."""

    label = N_("review")
    evidence = pw.ForeignKeyField(Evidence, backref="reviews")
    decision = pw.CharField(max_length=10)  # "accepted" or "rejected"
    reason = pw.TextField(default="")
    reviewer = pw.ForeignKeyField(User, backref="reviews")
    decided_at = pw.DateTimeField(default=utcnow, index=True)
    approved_hashes = pw.JSONField(default=list)


class Waiver(BaseModel):
    """A requirement declared not applicable or risk-accepted for one system, until a date."""

    label = N_("waiver")
    system = pw.ForeignKeyField(AISystem, backref="waivers")
    requirement_id = pw.CharField(max_length=120, index=True)
    justification = pw.TextField()
    requested_by = pw.ForeignKeyField(User, backref="waivers_requested")
    requested_at = pw.DateTimeField(default=utcnow)
    expires_on = pw.DateField()
    state = pw.CharField(
        max_length=10, default="requested"
    )  # requested, approved, rejected, revoked
    decided_by = pw.ForeignKeyField(User, backref="waivers_decided", null=True)
    decided_at = pw.DateTimeField(null=True)
    decision_note = pw.TextField(default="")
    revoked_at = pw.DateTimeField(null=True)


class Notification(BaseModel):
    """One reminder to one person, logged before it is sent; its key makes it happen once."""

    label = N_("notification")
    key = pw.CharField(max_length=400, unique=True)  # recipient | item | reminder window
    recipient = pw.CharField(max_length=254, index=True)
    recipient_name = pw.CharField(max_length=200, default="")
    kind = pw.CharField(max_length=30, index=True)
    item_key = pw.CharField(max_length=300)  # read through the index in Meta (schema 20)
    window = pw.CharField(max_length=60)
    system_id = pw.IntegerField(null=True, index=True)
    requirement_id = pw.CharField(max_length=120, null=True)
    mandatory = pw.BooleanField(default=True)
    sweep_date = pw.DateField(index=True)
    payload = pw.JSONField(default=dict)  # what the mail says about the item
    status = pw.CharField(max_length=30, default="")  # the item's status (payload's), schema 12
    # pending, sending, sent, failed, obsolete (see reminders.ledger.STATES); queries by state
    # use the index in Meta, whose first column it is (schema 20)
    state = pw.CharField(max_length=10, default="pending")
    attempts = pw.IntegerField(default=0)
    last_error = pw.TextField(default="")
    message_id = pw.CharField(max_length=200, default="")
    created_at = pw.DateTimeField(default=utcnow)
    claimed_at = pw.DateTimeField(null=True)  # when a sender took it; a stale claim is taken over
    sent_at = pw.DateTimeField(null=True)
    # False: sent in a digest that counted the item without naming it (over
    # TRACKER_DIGEST_MAX_ITEMS); escalation does not count it as a reminder (schema 19).
    listed = pw.BooleanField(default=True)

    class Meta:
        # Escalation counts sent, listed rows of a look-back window by item and status: an
        # index-only GROUP BY (tracker.reminders.escalation, schemas 12 and 19).
        indexes = ((("state", "sweep_date", "item_key", "status", "kind", "listed"), False),)

    def save(self, *args: Any, **kwargs: Any) -> int:
        # The status column repeats the payload's (the ledger's bulk insert writes both).
        if not self.status and isinstance(self.payload, dict):
            self.status = self.payload.get("status") or ""
        return super().save(*args, **kwargs)


class NotificationPreference(BaseModel):
    """How one address wants its reminders: digest cadence and optional kinds declined."""

    label = N_("notification preference")
    email = pw.CharField(max_length=254, unique=True)
    frequency = pw.CharField(max_length=10, default="daily")  # daily, weekly, immediate
    weekly_day = pw.IntegerField(default=0)  # 0 = Monday
    opted_out = pw.JSONField(default=list)
    unsubscribe_token = pw.CharField(max_length=64, unique=True)
    updated_at = pw.DateTimeField(default=utcnow)


class AuditEvent(BaseModel):
    """An append-only, hash-chained record of one change."""

    occurred_at = pw.CharField(max_length=32)  # ISO 8601 UTC text: hashed exactly as stored
    actor = pw.CharField(max_length=120)
    action = pw.CharField(max_length=80, index=True)
    entity_type = pw.CharField(max_length=40, index=True)
    entity_id = pw.CharField(max_length=80, index=True)
    before = pw.JSONField(null=True)
    after = pw.JSONField(null=True)
    prev_hash = pw.CharField(max_length=64)
    hash = pw.CharField(max_length=64, unique=True)
    # The audit key whose HMAC this hash is (tracker.audit.keys); "" for a plain SHA-256 hash
    # (events from before a key was configured, or an installation without one).
    key_id = pw.CharField(max_length=16, default="")
    # The request (or the job it queued) that made the change (tracker.operations.request_id):
    # the same id as on its log lines; "" for changes made outside a request (schema 18).
    request_id = pw.CharField(max_length=64, default="")

    class Meta:
        # One system's profile changes, found by the entity they are about (schema 13).
        indexes = ((("entity_type", "entity_id"), False),)


class AgencyProfile(BaseModel):
    """The agency running the tracker, as pages, e-mails, PDFs and the public register name it.

    One row at most; an installation without one shows the product's name.
    """

    label = N_("agency profile")
    name = pw.CharField(max_length=200, default="")
    dpo_contact = pw.CharField(max_length=254, default="")  # the DPO's e-mail address
    complaints = pw.TextField(default="")  # how the public complains (address, URL, authority)
    contact = pw.TextField(default="")  # the agency's general contact for the register
    logo = pw.BlobField(null=True)  # a small PNG, JPEG or SVG shown in the page header
    logo_type = pw.CharField(max_length=40, default="")
    updated_at = pw.DateTimeField(null=True)
    updated_by = pw.CharField(max_length=120, default="")


class AuditHead(BaseModel):
    """The newest event's id and hash, so that removing the tail of the chain is detected."""

    last_id = pw.IntegerField(default=0)
    last_hash = pw.CharField(max_length=64)
    key_id = pw.CharField(max_length=16, default="")  # the newest event's key


class CompletenessStamp(BaseModel):
    """When a system's completeness facts last changed: a number that grows with every write.

    Kept by database triggers (tracker.portfolio.stamps) on every table completeness reads, so
    that no write, by any path, leaves a stale answer. Row 0 is the agency's: agency-wide
    evidence and its reviews, which count for every system.
    """

    system_id = pw.BigIntegerField(primary_key=True)
    stamp = pw.BigIntegerField(index=True)

    class Meta:
        table_name = "completeness_stamp"


class PortfolioRow(BaseModel):
    """One system's completeness summary on a date, as the portfolio sorts, filters and counts it.

    A derived index, never a record: rebuilt whenever the stamps it was computed at (the
    system's, the agency's) or the catalogue's key no longer match (tracker.portfolio.index).
    """

    as_of = pw.DateField()
    system_id = pw.BigIntegerField()
    stamp = pw.BigIntegerField()
    agency_stamp = pw.BigIntegerField()
    catalogue_key = pw.CharField(max_length=64)
    # For today's rows: the earliest deadline of an open event duty later today, when the
    # answer changes by itself (the duty becomes overdue); null when nothing changes by then.
    changes_at = pw.DateTimeField(null=True)
    computed_at = pw.DateTimeField()
    name = pw.CharField(max_length=200)
    name_key = pw.CharField(max_length=200)  # casefolded: sorting and searching by name
    lifecycle_stage = pw.CharField(max_length=40)
    risk_level = pw.CharField(max_length=10)
    retired = pw.BooleanField()
    ready = pw.BooleanField(null=True)
    nothing_applies = pw.BooleanField()
    percent = pw.FloatField(null=True)
    percent_key = pw.FloatField()  # nothing in force sorts below 0 %
    overdue = pw.IntegerField()
    missing = pw.IntegerField()
    expiring_soon = pw.IntegerField()
    pending_review = pw.IntegerField()
    expired = pw.IntegerField()
    stage_overdue = pw.IntegerField()
    event_overdue = pw.IntegerField()
    frameworks = pw.JSONField(default=dict)  # framework -> percent met (null: nothing in force)
    # The whole summary as JSON text (tracker.portfolio.summary): what pages and the API show.
    summary = pw.TextField(default="{}")

    class Meta:
        table_name = "portfolio_row"
        primary_key = pw.CompositeKey("as_of", "system_id")
        indexes = (
            (("as_of", "name_key"), False),
            (("as_of", "overdue"), False),
            (("as_of", "percent_key"), False),
            (("as_of", "changes_at"), False),
        )


class PortfolioDate(BaseModel):
    """A date whose portfolio rows were all current at ``stamp`` (the newest stamp then): while
    no stamp is newer, the catalogue key is the same and ``changes_at`` has not passed, every
    row of the date still is, and nothing needs checking."""

    as_of = pw.DateField(primary_key=True)
    catalogue_key = pw.CharField(max_length=64)
    stamp = pw.BigIntegerField()
    changes_at = pw.DateTimeField(null=True)
    # Made anew whenever the rows are brought up to date: what is derived from them is kept
    # under it (tracker.portfolio.listing), never under numbers another database could reach.
    generation = pw.CharField(max_length=32, default="")

    class Meta:
        table_name = "portfolio_date"


class ChartPoint(BaseModel):
    """A system's overall percent on the first of one of the completeness chart's months.

    Derived, like :class:`PortfolioRow`: current while the stamps it was computed at and the
    catalogue key still match (tracker.portfolio.chart_points)."""

    system_id = pw.BigIntegerField()
    day = pw.DateField()
    stamp = pw.BigIntegerField()
    agency_stamp = pw.BigIntegerField()
    catalogue_key = pw.CharField(max_length=64)
    percent = pw.FloatField(null=True)  # null: nothing was in force

    class Meta:
        table_name = "chart_point"
        primary_key = pw.CompositeKey("system_id", "day")


class KeptAnswer(BaseModel):
    """A system's whole completeness answer for a day (today's), as the API sends it, compressed.

    Derived, like :class:`ChartPoint`: current while the stamps it was computed at and the
    catalogue key still match, and until ``changes_at`` (tracker.portfolio.answers)."""

    system_id = pw.BigIntegerField(primary_key=True)
    day = pw.DateField()
    stamp = pw.BigIntegerField()
    agency_stamp = pw.BigIntegerField()
    catalogue_key = pw.CharField(max_length=64)
    changes_at = pw.DateTimeField(null=True)  # when it changes by itself (an event deadline)
    body = pw.BlobField()  # the JSON, zlib-compressed
    # The answer as the system page reads it (tracker.portfolio.detail), zlib-compressed; None
    # in rows kept before schema 23, whose key is older: never current.
    page = pw.BlobField(null=True)

    class Meta:
        table_name = "kept_answer"


class Pack(BaseModel):
    """An evidence pack: one system's (or, with no system, every system's) evidence as of a
    date, as a signed BagIt bag in a zip (tracker.packs). Built by a worker; kept in the pack
    folder under ``file_name`` once ready."""

    label = N_("evidence pack")
    system = pw.ForeignKeyField(AISystem, null=True, backref="packs", on_delete="CASCADE")
    as_of = pw.DateField()
    requested_by = pw.CharField(max_length=120)  # the actor, as the audit trail names it
    requested_at = pw.DateTimeField(default=utcnow)
    state = pw.CharField(max_length=10, default="queued")  # queued, building, ready, failed
    done = pw.BigIntegerField(default=0)  # progress: bytes of payload written so far
    total = pw.BigIntegerField(default=0)  # and in all
    finished_at = pw.DateTimeField(null=True)
    file_name = pw.CharField(max_length=200, default="")
    size = pw.BigIntegerField(default=0)
    sha256 = pw.CharField(max_length=64, default="")  # of the zip file
    manifest_sha256 = pw.CharField(max_length=64, default="")  # of its content manifest
    signature = pw.TextField(default="")  # base64 Ed25519 over the tag manifest
    key_id = pw.CharField(max_length=16, default="")
    files = pw.IntegerField(default=0)  # payload files
    error = pw.TextField(default="")

    class Meta:
        table_name = "pack"
        indexes = ((("system", "requested_at"), False),)


ALL_MODELS = [
    User,
    ApiToken,
    WebSession,
    AISystem,
    Operator,
    Blob,
    SystemEvent,
    Evidence,
    EvidenceSystem,
    EvidenceFile,
    EvidenceReview,
    Waiver,
    Notification,
    NotificationPreference,
    AuditEvent,
    AuditHead,
    AgencyProfile,
    CompletenessStamp,
    PortfolioRow,
    PortfolioDate,
    ChartPoint,
    KeptAnswer,
    Pack,
]
