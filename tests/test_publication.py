"""The register's domain: what "last updated" means, since when an entry is published and its
system in use, which audits and impact assessments it names, and search and filters that read
public values only."""

from __future__ import annotations

import io
import logging
from datetime import datetime

import pytest

from evidence import ContentStore
from tests import sample_files
from tests.factories import profile
from tracker import accounts, audit, evidence_items, publication, register, reviews
from tracker.db import write_transaction
from tracker.errors import ValidationFailed
from tracker.models import AuditEvent


def last_audit_moment() -> datetime:
    return datetime.fromisoformat(
        AuditEvent.select().order_by(AuditEvent.id.desc()).get().occurred_at
    )


def shown(system_id: int) -> publication.Entry:
    found = publication.register_entry(system_id)
    assert found is not None
    return found


@pytest.fixture
def people(migrated):
    return {
        "legal": accounts.create_user("legal.pub", "legal", "test"),
        "dpo": accounts.create_user("dpo.pub", "dpo", "test"),
    }


@pytest.fixture
def add_audit(settings, people):
    store = ContentStore(settings.evidence_dir)

    def add(system_id: int, title: str, kind: str = "audit", previous=None):
        files = [
            evidence_items.IncomingFile(store.put(io.BytesIO(sample_files.pdf(title))), "a.pdf")
        ]
        metadata = {
            "kind": kind,
            "title": title,
            "issuer": "Audit office",
            "system_ids": [system_id],
        }
        return evidence_items.add_evidence(
            store, metadata if previous is None else {"title": title}, files, people["legal"],
            "test", previous=previous,
        )  # fmt: skip

    return add


def test_last_updated_moves_only_when_what_the_register_shows_changes(migrated, people, add_audit):
    system = register.create_system(profile(lifecycle_stage="testing"), "test")
    assert publication.register_entry(system.id) is None  # not published yet
    register.update_system(system, {"published": True}, "test")
    published = last_audit_moment()
    assert shown(system.id).last_updated == published
    assert shown(system.id).published_since == published

    # Facts the public cannot see: the date does not move (the row's own update time does).
    contacts = [{"name": "Bo Lund", "email": "bo.lund@police.example", "role": "owner"}]
    register.update_system(system, {"contacts": contacts, "risk_level": "low"}, "test")
    register.update_system(system, {"publication": {"jurisdictions": "internal"}}, "test")
    assert system.updated_at > published
    assert shown(system.id).last_updated == published

    # A published fact, and a fact becoming public, both move it.
    register.update_system(system, {"usage_description": "Every match is checked."}, "test")
    assert shown(system.id).last_updated == last_audit_moment() > published
    register.update_system(system, {"publication": {"risk_level": "public"}}, "test")
    risk_shown = last_audit_moment()
    assert (
        shown(system.id).last_updated == risk_shown
        and shown(system.id).fields["risk_level"] == "low"
    )

    # A schema upgrade restates facts: replayed, never an update.
    with write_transaction():
        audit.record(
            "upgrade", "system.migrated", "ai_system", system.id, after={"risk_level": "low"}
        )
    assert shown(system.id).last_updated == risk_shown

    # An audit appears once accepted, and that moves the date too.
    item = add_audit(system.id, "Bias audit 2026")
    assert shown(system.id).results == [] and shown(system.id).last_updated == risk_shown
    review = reviews.review_evidence(item, "accepted", "", people["dpo"], "test")
    entry = shown(system.id)
    assert [r.title for r in entry.results] == ["Bias audit 2026"]
    assert (
        entry.last_updated == review.decided_at
        and entry.results[0].accepted_on == review.decided_at.date()
    )

    # A new version supersedes it: gone from the list until the new one is accepted.
    newer = add_audit(system.id, "Bias audit 2026 (corrected)", previous=item)
    entry = shown(system.id)
    assert entry.results == [] and entry.last_updated > review.decided_at
    reviews.review_evidence(newer, "accepted", "", people["dpo"], "test")
    assert [r.title for r in shown(system.id).results] == ["Bias audit 2026 (corrected)"]

    # Impact assessments are their own list; a rejected one is never shown.
    assessment = add_audit(system.id, "DPIA", kind="impact_assessment")
    before = shown(system.id).last_updated
    reviews.review_evidence(assessment, "rejected", "Incomplete", people["dpo"], "test")
    assert shown(system.id).assessments == [] and shown(system.id).last_updated == before
    accepted = reviews.review_evidence(assessment, "accepted", "", people["dpo"], "test")
    assert [a.title for a in shown(system.id).assessments] == ["DPIA"]
    assert shown(system.id).last_updated == accepted.decided_at
    # ... and a later rejection withdraws it, which is a change the public sees.
    withdrawn = reviews.review_evidence(
        assessment, "rejected", "Wrong system", people["dpo"], "test"
    )
    assert (
        shown(system.id).assessments == [] and shown(system.id).last_updated == withdrawn.decided_at
    )


def test_in_the_register_since_and_in_use_since(migrated):
    system = register.create_system(profile(lifecycle_stage="testing", published=True), "test")
    created = last_audit_moment()
    assert shown(system.id).published_since == created and shown(system.id).first_in_use is None
    register.update_system(system, {"lifecycle_stage": "deployment"}, "test")
    in_use = last_audit_moment()
    register.update_system(system, {"lifecycle_stage": "monitoring"}, "test")
    assert shown(system.id).first_in_use == in_use
    # Out of the register and back: its current time there starts again.
    register.update_system(system, {"published": False}, "test")
    assert publication.register_entry(system.id) is None
    register.update_system(system, {"published": True}, "test")
    again = last_audit_moment()
    assert shown(system.id).published_since == again == shown(system.id).last_updated
    # A stage the system does not publish gives no "in use since" either.
    register.update_system(system, {"publication": {"lifecycle_stage": "authority"}}, "test")
    entry = shown(system.id)
    assert "lifecycle_stage" not in entry.fields and entry.first_in_use is None


def test_filters_read_public_values_only(migrated):
    secret = register.create_system(
        profile(name="Gang database matching", published=True, risk_level="high",
                units_with_access=["Covert unit"], publication={"units_with_access": "internal"}),
        "test",
    )  # fmt: skip
    open_one = register.create_system(
        profile(name="Speed camera reader", published=True, risk_level="high",
                units_with_access=["Traffic unit", "covert unit"],
                purpose="Read number plates of speeding vehicles.",
                publication={"risk_level": "public"}),
        "test",
    )  # fmt: skip
    entries = publication.register()

    def found(**wanted: str) -> list[int]:
        chosen = publication.read_filter(wanted)
        return [e.id for e in publication.search(entries, chosen)]

    assert found(risk_level="high") == [open_one.id]  # the other keeps its risk level back
    assert found(unit="COVERT UNIT") == [open_one.id]
    assert found(q="number  plates speeding") == [open_one.id]
    assert found(q="plates gang") == []
    assert found(lifecycle_stage="testing") == sorted([secret.id, open_one.id], key=lambda i: i)
    facets = publication.facets(entries)
    assert facets["risk_level"] == [("high", 1)]
    assert facets["unit"] == [("covert unit", 1), ("Traffic unit", 1)]
    with pytest.raises(ValidationFailed) as refused:
        publication.read_filter({"lifecycle_stage": "live", "q": "x" * 201})
    assert set(refused.value.errors) == {"lifecycle_stage", "q"}


def test_the_register_reads_the_same_number_of_queries_for_few_or_many_systems(migrated):
    def queries_for_register() -> int:
        seen: list[str] = []
        handler = logging.Handler()
        handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
        logger = logging.getLogger("peewee")
        logger.addHandler(handler)
        old_level = logger.level
        logger.setLevel(logging.DEBUG)
        try:
            publication.register()
        finally:
            logger.removeHandler(handler)
            logger.setLevel(old_level)
        return len(seen)

    for number in range(3):
        register.create_system(profile(name=f"System {number}", published=True), "test")
    few = queries_for_register()
    assert few >= 3  # the systems, their evidence, their history
    for number in range(3, 15):
        register.create_system(profile(name=f"System {number}", published=True), "test")
    assert queries_for_register() == few
