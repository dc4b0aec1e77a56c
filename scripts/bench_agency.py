"""The benchmark agency's rows: what scripts/bench_data.py generates, built in memory.

Every table's rows as dicts with explicit ids, deterministic from the random generator it is
given and relative to one day (nothing is dated after its midnight). Kept apart from the caching
and inserting in bench_data.py so that each stays readable.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from tracker import audit, vocabulary
from tracker.models import (
    AISystem,
    AuditEvent,
    Blob,
    Evidence,
    EvidenceFile,
    EvidenceReview,
    EvidenceSystem,
    Operator,
    SystemEvent,
    User,
    Waiver,
)
from tracker.plugin_host import Catalogue

STAGE_WEIGHTS = {  # a national agency's portfolio: mostly in use
    "planning": 8,
    "development_or_procurement": 12,
    "testing": 10,
    "deployment": 40,
    "monitoring": 24,
    "decommissioned": 6,
}
UNITS = ["Cybercrime", "Forensics", "Border police", "Traffic", "Intelligence", "HR", "IT"]
OTHER_AREAS = [a for a in vocabulary.ANNEX_III_AREAS if a != "biometrics"]
WAIVER_STATES = ["approved", "expired", "revoked", "requested", "rejected", "approved"]
CHANGEABLE = [  # profile fields a year of edits touches, and how often
    *["lifecycle_stage"] * 4,
    *["risk_level"] * 2,
    "annex_iii_areas",
    "people_affected",
    "profiling",
    "public_facing",
    "published",
    "answers",
    "units_with_access",
    "processes_personal_data",
    "version",
]


class Generator:
    """Builds every table's rows in memory, ids assigned here, all dates up to ``day``."""

    def __init__(self, catalogue: Catalogue, rng: random.Random, day: date) -> None:
        self.catalogue, self.rng, self.day = catalogue, rng, day
        self.anchor = datetime.combine(day, datetime.min.time())  # midnight UTC: nothing later
        requirements = list(catalogue.requirements.values())
        self.agency_reqs = [r for r in requirements if r.scope == "agency"]
        self.system_reqs = [
            r for r in requirements if r.scope == "system" and not r.deadline_after_event
        ]
        self.operator_reqs = [r for r in requirements if r.scope == "operator"]
        self.answering: dict[str, list] = {}  # event kind -> requirements counting from it
        for r in requirements:
            if r.deadline_after_event:
                self.answering.setdefault(r.deadline_after_event[0], []).append(r)
        kinds = list(catalogue.event_kinds)
        self.event_kinds = ["use"] * (3 * len(kinds)) + kinds  # uses dominate
        self.blobs = [hashlib.sha256(f"bench blob {n}".encode()).hexdigest() for n in range(500)]
        self.next_id: dict[type, int] = {}  # the last id given, per table
        self.t: dict[type, list[dict]] = {
            m: []
            for m in (
                User,
                Blob,
                AISystem,
                Operator,
                SystemEvent,
                Evidence,
                EvidenceSystem,
                EvidenceFile,
                EvidenceReview,
                Waiver,
                AuditEvent,
            )
        }
        self.audit: list[tuple] = []  # (occurred_at, actor, action, entity_id, before, after)

    def moment(self, earliest: datetime, latest: datetime | None = None) -> datetime:
        latest = latest or self.anchor
        if earliest >= latest:
            return latest
        span = (latest - earliest).total_seconds()
        return earliest + timedelta(seconds=int(self.rng.random() * span))

    def add(self, model: type, **row: Any) -> int:
        number = self.next_id[model] = self.next_id.get(model, 0) + 1
        self.t[model].append({"id": number, **row})
        return number

    def batches(self, systems: int, size: int = 2000) -> Iterator[dict[type, list[dict]]]:
        """Every table's rows, ``size`` systems at a time (so that 100,000 systems fit in
        memory); the audit trail, chained in time order, comes with the last batch."""
        rng = self.rng
        self.users = {
            role: [
                self.add(
                    User,
                    username=f"bench-{role}-{n}",
                    full_name=f"Bench {role.title()} {n}",
                    email=f"{role}{n}@agency.example",
                    role=role,
                    password_hash=None,
                    created_at=self.anchor - timedelta(days=1500),
                )
                for n in range(count)
            ]
            for role, count in (("admin", 1), ("legal", 3), ("dpo", 2), ("auditor", 1))
        }
        for sha in self.blobs:
            self.add(
                Blob,
                sha256=sha,
                size=rng.randint(10_000, 5_000_000),
                media_type="application/pdf",
                stored_at=self.anchor - timedelta(days=900),
            )
        for row in self.t[Blob]:
            del row["id"]  # keyed by its hash
        self.agency_evidence()
        for number in range(systems):
            self.system()
            if (number + 1) % size == 0 and number + 1 < systems:
                yield self.t
                self.t = {model: [] for model in self.t}
        self.chain_audit()
        yield self.t

    # -- profiles and their history ------------------------------------------------------------

    def profile(self) -> dict[str, Any]:
        rng = self.rng
        stage = rng.choices(list(STAGE_WEIGHTS), list(STAGE_WEIGHTS.values()))[0]
        biometric = rng.choices(["none", "post_event", "real_time"], [85, 11, 4])[0]
        areas = sorted(set(rng.sample(OTHER_AREAS, rng.choice([0, 0, 1, 1, 2]))))
        if biometric != "none" or rng.random() < 0.05:
            areas = sorted({*areas, "biometrics"})
        return {
            "name": "",
            "version": str(rng.randint(1, 9)),
            "vendor": rng.choice(["", "Acme AI", "Politech", "OpenVision", "In-house"]),
            "purpose": rng.choice(
                [
                    "Triage of reports",
                    "Licence-plate reading",
                    "Transcription of interviews",
                    "Fraud detection",
                    "Image matching",
                    "Scheduling of patrols",
                    "Chat assistant",
                ]
            ),
            "authorised_use_cases": rng.sample(["search", "triage", "analysis", "support"], 2),
            "development_approach": rng.choice(list(vocabulary.DEVELOPMENT_APPROACHES)),
            "lifecycle_stage": stage,
            "risk_level": rng.choices(list(vocabulary.RISK_LEVELS), [35, 40, 25])[0],
            "processes_personal_data": biometric != "none" or rng.random() < 0.85,
            "purpose_type": rng.choices(list(vocabulary.PURPOSE_TYPES), [65, 35])[0],
            "biometric_identification": biometric,
            "ai_act_roles": rng.choice(
                [["deployer"], ["deployer"], ["provider", "deployer"], ["provider"], []]
            ),
            "profiling": rng.random() < 0.2,
            "people_affected": sorted(
                rng.sample(list(vocabulary.PEOPLE_AFFECTED), rng.randint(0, 3))
            ),
            "annex_iii_areas": areas,
            "public_authority": rng.random() < 0.97,
            "countries": rng.choice([[]] * 8 + [["FR"], ["NL", "LU"]]),
            "public_facing": rng.random() < 0.15,
            "units_with_access": sorted(rng.sample(UNITS, rng.randint(1, 3))),
            "data_sharing": "",
            "usage_description": "",
            "personal_data_handling": "",
            "contacts": [],
            "published": rng.random() < 0.3,
            "publication": {},
            "answers": rng.choice([{}, {}, {"nis2_in_scope": True}, {"nis2_in_scope": False}]),
            "jurisdictions": [],
        }

    def earlier_value(self, field: str, state: dict[str, Any]) -> Any:
        """What ``field`` may have held before an edit that left it as in ``state`` (None: no
        plausible earlier value; the edit is skipped)."""
        rng, value = self.rng, state[field]
        if field == "lifecycle_stage":
            stages = list(vocabulary.LIFECYCLE_STAGES)
            return stages[stages.index(value) - 1] if value != stages[0] else None
        if field == "risk_level":
            return rng.choice([v for v in vocabulary.RISK_LEVELS if v != value])
        if field in ("annex_iii_areas", "people_affected", "units_with_access"):
            choices = {"annex_iii_areas": OTHER_AREAS, "units_with_access": UNITS}.get(
                field, list(vocabulary.PEOPLE_AFFECTED)
            )
            toggled = set(value) ^ {rng.choice(choices)}
            return sorted(toggled) if toggled or field != "units_with_access" else None
        if field == "processes_personal_data":
            return None if state["biometric_identification"] != "none" else not value
        if field in ("profiling", "public_facing", "published"):
            return not value
        if field == "answers":
            return rng.choice([a for a in ({}, {"nis2_in_scope": True}) if a != value])
        if field == "version":
            return str(int(value) - 1) if int(value) > 1 else None
        raise ValueError(field)

    def system(self) -> None:
        rng = self.rng
        created = self.anchor - timedelta(days=rng.randint(30, 1500), seconds=rng.randint(0, 86399))
        profile = self.profile()
        system_id = self.next_id.get(AISystem, 0) + 1
        profile["name"] = f"{profile['purpose']} {system_id}"
        # A year of edits, undone from today's profile back to the one it was created with.
        state = dict(profile)
        year_ago = max(created + timedelta(days=1), self.anchor - timedelta(days=365))
        moments = sorted(
            (self.moment(year_ago) for _ in range(rng.choice([0, 1, 2, 3, 4, 5, 6, 8]))),
            reverse=True,
        )
        actor = f"bench-legal-{system_id % 3}"
        updated = created
        for when in moments:
            field = rng.choice(CHANGEABLE)
            old = self.earlier_value(field, state)
            if old is None or old == state[field]:
                continue
            self.audit.append(
                (when, actor, "system.updated", system_id, {field: old}, {field: state[field]})
            )
            updated = max(updated, when)
            state[field] = old
        self.audit.append(
            (created, actor, "system.created", system_id, None, audit.jsonable(state))
        )
        retired = (
            self.moment(updated)
            if profile["lifecycle_stage"] == "decommissioned" and rng.random() < 0.5
            else None
        )
        self.add(
            AISystem,
            **profile,
            created_at=created,
            updated_at=updated,
            retired_at=retired,
            retired_reason="Decommissioned" if retired else "",
        )
        operators = []
        for k in range(rng.randint(2, 4)):
            removed = self.moment(created) if rng.random() < 0.12 else None
            name = f"Officer {system_id}-{k}"
            operators.append(name)
            self.add(
                Operator,
                system=system_id,
                name=name,
                email=f"o{system_id}-{k}@police.example",
                unit=rng.choice(UNITS),
                added_at=self.moment(created, created + timedelta(days=60)),
                removed_at=removed,
            )
        for requirement in rng.sample(self.system_reqs, rng.randint(3, 8)):
            self.lineage(requirement, created, [system_id])
        for requirement in rng.sample(self.operator_reqs, min(len(self.operator_reqs), 2)):
            self.lineage(requirement, created, [system_id], person=rng.choice(operators))
        self.events(system_id, created, profile["lifecycle_stage"])
        if system_id % 10 == 3:  # one system in ten; the states in turn, so even 60 have each
            self.waiver(system_id, created, WAIVER_STATES[system_id // 10 % len(WAIVER_STATES)])

    # -- evidence --------------------------------------------------------------------------------

    def agency_evidence(self) -> None:
        since = self.anchor - timedelta(days=1200)
        for requirement in self.agency_reqs + self.rng.sample(self.system_reqs, 6):
            self.lineage(requirement, since, [])

    def lineage(
        self,
        requirement,
        since: datetime,
        system_ids: list[int],
        person: str = "",
        event: tuple[int, datetime] | None = None,
    ) -> None:
        """One evidence item in 1-4 versions, each reviewed or not; the newest may be expired or
        expiring soon."""
        rng = self.rng
        count = 1 if event else rng.choices([1, 2, 3, 4], [50, 30, 14, 6])[0]
        start = event[1] + timedelta(hours=rng.randint(1, 48)) if event else self.moment(since)
        moments = sorted(self.moment(min(start, self.anchor)) for _ in range(count))
        first = self.next_id.get(Evidence, 0) + 1
        for version, created in enumerate(moments, start=1):
            newest = version == count
            issued = created.date() - timedelta(days=rng.randint(0, 20))
            if requirement.valid_for_months:
                until = issued + timedelta(days=30 * requirement.valid_for_months)
            else:
                until = rng.choice(
                    [None, None, issued + timedelta(days=365), issued + timedelta(days=730)]
                )
            if newest and not event:  # expired and expiring items, whatever their history
                roll = rng.random()
                if roll < 0.08:
                    until = self.day - timedelta(days=rng.randint(1, 200))
                elif roll < 0.16:
                    until = self.day + timedelta(days=rng.randint(1, 30))
            if until is not None and until < issued:
                issued = until - timedelta(days=365)
            evidence_id = self.add(
                Evidence,
                lineage=first,
                version=version,
                kind=rng.choice(requirement.evidence_kinds),
                title=f"{requirement.title[:200]} v{version}",
                description="",
                issued_on=issued,
                valid_from=issued,
                valid_until=until,
                issuer=rng.choice(["", "Internal audit", "DPO office", "Vendor"]),
                certified_person=person,
                requirement_ids=[requirement.id],
                agency_wide=not system_ids,
                uploaded_by=rng.choice(self.users["legal"]),
                created_at=created,
                superseded_at=None if newest else moments[version],
                event=event[0] if event else None,
            )
            for system_id in system_ids:
                self.add(EvidenceSystem, evidence=evidence_id, system=system_id)
            sha = rng.choice(self.blobs)
            self.add(
                EvidenceFile,
                evidence=evidence_id,
                blob=sha,
                display_name=f"evidence-{evidence_id}.pdf",
                position=0,
            )
            decision = rng.choices(
                ["accepted", "rejected", None], [72, 10, 18] if newest else [75, 20, 5]
            )[0]
            decided = created + timedelta(days=rng.randint(0, 10), hours=rng.randint(1, 20))
            if decision and decided < self.anchor:
                self.add(
                    EvidenceReview,
                    evidence=evidence_id,
                    decision=decision,
                    reason="" if decision == "accepted" else "Unsigned copy",
                    reviewer=rng.choice(self.users["dpo"]),
                    decided_at=decided,
                    approved_hashes=[sha] if decision == "accepted" else [],
                )

    def events(self, system_id: int, created: datetime, stage: str) -> None:
        rng = self.rng
        in_use = stage in ("deployment", "monitoring", "decommissioned")
        since = max(created, self.anchor - timedelta(days=400))
        for _ in range(rng.randint(3, 15) if in_use else rng.randint(0, 1)):
            kind = rng.choice(self.event_kinds)
            occurred = self.moment(since)
            event_id = self.add(
                SystemEvent,
                system=system_id,
                kind=kind,
                occurred_at=occurred,
                description=f"Bench {kind}",
                recorded_by=rng.choice(self.users["legal"]),
                recorded_at=min(self.anchor, occurred + timedelta(hours=rng.randint(0, 30))),
            )
            answering = self.answering.get(kind)
            if answering and rng.random() < 0.4:
                self.lineage(rng.choice(answering), since, [system_id], event=(event_id, occurred))

    def waiver(self, system_id: int, created: datetime, state: str) -> None:
        """A waiver in ``state``; "expired" is an approved waiver whose date has passed."""
        rng = self.rng
        requested = self.moment(max(created, self.anchor - timedelta(days=500)))
        decided = min(self.anchor, requested + timedelta(days=rng.randint(1, 14)))
        if state == "expired":  # approved, and its date has passed
            expires = self.day - timedelta(days=rng.randint(1, 60))
            requested = min(
                requested, datetime.combine(expires, datetime.min.time()) - timedelta(days=30)
            )
            decided = requested + timedelta(days=2)
        else:
            expires = self.day + timedelta(days=rng.randint(10, 300))
        self.add(
            Waiver,
            system=system_id,
            requirement_id=rng.choice(self.system_reqs).id,
            justification="Bench waiver",
            requested_by=rng.choice(self.users["legal"]),
            requested_at=requested,
            expires_on=expires,
            state="approved" if state == "expired" else state,
            decided_by=None if state == "requested" else rng.choice(self.users["dpo"]),
            decided_at=None if state == "requested" else decided,
            decision_note="",
            revoked_at=self.moment(decided) if state == "revoked" else None,
        )

    # -- the audit trail -------------------------------------------------------------------------

    def chain_audit(self) -> None:
        """Audit rows in time order, hash-chained as tracker.audit does (unkeyed), so that the
        chain verifies; ids follow time, as the replay of profiles expects."""
        prev = "0" * 64
        for number, (when, actor, action, entity, before, after) in enumerate(
            sorted(self.audit, key=lambda e: e[0]), start=1
        ):
            fields = {
                "id": number,
                "occurred_at": when.isoformat(timespec="microseconds"),
                "actor": actor,
                "action": action,
                "entity_type": "ai_system",
                "entity_id": str(entity),
                "before": before,
                "after": after,
            }
            digest = audit._event_hash(prev, fields)
            self.t[AuditEvent].append({**fields, "prev_hash": prev, "hash": digest, "key_id": ""})
            prev = digest
