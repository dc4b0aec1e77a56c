"""The demo agency's past twelve months, told with the tracker's own domain functions.

Each act (a user created, a system registered or moved to its next stage, a document uploaded,
a DPO's decision, a waiver, a recorded use or breach, a reminder sweep and its delivery) is put
on a :class:`~demo_agency.clock.Timeline` at the moment it happened, days counted back from
today. The timeline runs them in time order under a controlled clock, so every row and every
audit event carries its real moment, the hash chain is appended to in time order, and each
check the domain makes (no evidence dated in the future, no waiver already expired) is made as
of that moment. Replaying any past date then shows the agency as it was: completeness rising
month by month, a DPIA rejected and accepted in a second version, a waiver revoked, a breach
reported late.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from demo_agency import ADMIN, DPO, LEGAL, documents
from demo_agency.clock import Clock, Timeline
from demo_agency.events import uses_and_breaches
from demo_agency.filings import (
    CHATBOT,
    FILINGS,
    HOTSPOT,
    Filing,
)
from demo_agency.systems import FORMER_OPERATORS, HISTORY, PUBLISHED, SYSTEMS, operator_email
from evidence import ContentStore
from tracker import accounts, agency, config, evidence_items, register, reviews, waivers
from tracker.evidence_items import IncomingFile
from tracker.models import AISystem, Evidence, SystemEvent, User, Waiver
from tracker.plugin_host import Catalogue
from tracker.reminders import claiming, ledger, mail
from tracker.reminders.delivery import sweep
from tracker.reminders.planning import load_preferences

# (username, role, full name, e-mail, language): the viewer reads the tracker in French.
DEMO_USERS = [
    ("admin", "admin", "Sam Admin", "admin@police.example", ""),
    ("l.martin", "legal", "Lea Martin", "lea.martin@police.example", ""),
    ("d.okafor", "dpo", "David Okafor", "dpo@police.example", ""),
    ("a.berg", "auditor", "Astrid Berg", "astrid.berg@audit.example", ""),
    ("n.lambert", "viewer", "Nathalie Lambert", "nathalie.lambert@police.example", "fr"),
]

AGENCY_PROFILE = {
    "name": documents.AGENCY_NAME,
    "dpo_contact": "dpo@police.example",
    "complaints": "To complain about how an AI system treated you, write to the data protection "
    "officer (dpo@police.example, Rue de l'Exemple 1, 1000 Nordville). You may also complain to "
    "the Supervisory Body for Police Information (COC), the supervisory authority for police "
    "data in Belgium.",
    "contact": "Zone de police Nordville, Rue de l'Exemple 1, 1000 Nordville. "
    "info@police.example, +32 2 000 00 00.",
}

# First Mondays on which the reminder sweep ran, and every Monday of the last five weeks.
RECENT_WEEKS = 5


class Story:
    """The acts of the year, put on a timeline; run it with :meth:`tell`."""

    def __init__(
        self,
        settings: config.Settings,
        catalogue: Catalogue,
        store: ContentStore,
        now: datetime,
    ) -> None:
        self.settings, self.catalogue, self.store = settings, catalogue, store
        self.now = now
        self.today = now.date()
        self.timeline = Timeline()
        self.users: dict[str, User] = {}
        self.systems: dict[str, AISystem] = {}
        self.evidence: dict[str, Evidence] = {}  # the newest version, by title
        self.events: dict[str, SystemEvent] = {}  # by system and moment
        self.waivers_by_key: dict[str, Waiver] = {}  # by system and requirement

    # --- when -----------------------------------------------------------------------------------

    def day(self, ago: int, hour: int = 10, minute: int = 0) -> datetime:
        """``ago`` days before today at this time (UTC)."""
        return datetime.combine(self.today - timedelta(days=ago), time(hour, minute))

    def days_from_today(self, days: int | None) -> date | None:
        return None if days is None else self.today + timedelta(days=days)

    def at(self, moment: datetime, do: Callable[[], Any]) -> None:
        self.timeline.at(moment, do)

    def tell(self, agency_and_reminders: bool) -> None:
        """Put every act on the timeline and run it up to now."""
        self.people(agency_and_reminders)
        self.register()
        for index, filing in enumerate(FILINGS):
            self.file(index, filing)
        uses_and_breaches(self)
        self.waiver_decisions()
        if agency_and_reminders:
            self.reminder_sweeps()
        self.timeline.run(Clock(), until=self.now)

    # --- people and systems ----------------------------------------------------------------------

    def people(self, with_agency_profile: bool) -> None:
        for index, (username, role, name, address, language) in enumerate(DEMO_USERS):
            creator = "demo-seed" if username == ADMIN else ADMIN

            def create(username=username, role=role, name=name, address=address, creator=creator):
                self.users[username] = accounts.create_user(
                    username, role, creator, full_name=name, email=address
                )

            self.at(self.day(365, 8, index * 10), create)
            if language:
                self.at(
                    self.day(364, 9),
                    lambda u=username, lang=language: accounts.set_language(self.users[u], lang, u),
                )
        if with_agency_profile:
            self.at(self.day(365, 8, 5), lambda: agency.update(AGENCY_PROFILE, ADMIN))

    def register(self) -> None:
        for spec in SYSTEMS:
            name, past = spec["name"], HISTORY[spec["name"]]
            profile = {k: v for k, v in spec.items() if k != "operators"} | past.initial
            self.at(self.day(past.registered, 9), lambda n=name, p=profile: self._create(n, p))
            joined = past.operators_from or past.registered
            for number, (person, unit) in enumerate(spec["operators"]):
                self.at(
                    self.day(joined, 9, 30 + number),
                    lambda n=name, p=person, u=unit: self._operator(n, p, u),
                )
            for ago, changes in past.changes:
                self.at(
                    self.day(ago, 11),
                    lambda n=name, c=changes: register.update_system(
                        self.systems[n], c, LEGAL, self.catalogue
                    ),
                )
            if past.published is not None:
                publication = {**PUBLISHED[name], "published": True}
                self.at(
                    self.day(past.published, 12),
                    lambda n=name, p=publication: register.update_system(
                        self.systems[n], p, LEGAL, self.catalogue
                    ),
                )
        for system, person, unit, ended in FORMER_OPERATORS:
            registered = HISTORY[system].registered
            self.at(
                self.day(registered, 9, 45),
                lambda s=system, p=person, u=unit: self._operator(s, p, u),
            )
            self.at(self.day(ended, 17), lambda s=system, p=person: self._remove_operator(s, p))

    def _create(self, name: str, profile: dict[str, Any]) -> None:
        self.systems[name] = register.create_system(profile, LEGAL, self.catalogue)

    def _operator(self, system: str, person: str, unit: str) -> None:
        data = {"name": person, "email": operator_email(person), "unit": unit}
        register.add_operator(self.systems[system], data, LEGAL)

    def _remove_operator(self, system: str, person: str) -> None:
        for operator in register.list_operators(self.systems[system]):
            if operator.name == person:
                register.remove_operator(operator, LEGAL)

    # --- evidence and decisions --------------------------------------------------------------------

    def file(self, index: int, filing: Filing) -> None:
        uploaded = self.day(filing.uploaded, 10, index % 50)
        self.at(uploaded, lambda: self._upload(filing))
        if filing.decision is not None:
            decided = self.day(filing.uploaded - filing.review_after, 14, 30 + index % 25)
            self.at(
                decided,
                lambda: self.decide(filing.title, filing.decision or "", filing.reason),
            )

    def _upload(self, filing: Filing) -> None:
        issued = self.today - timedelta(days=filing.issued)
        metadata: dict[str, Any] = {
            "kind": filing.kind,
            "title": filing.title,
            "issuer": filing.issuer,
            "issued_on": issued.isoformat(),
            "requirement_ids": list(filing.requirements),
            "certified_person": filing.certified_person,
        }
        if filing.valid_until is not None:
            metadata["valid_until"] = self.days_from_today(filing.valid_until).isoformat()
        if filing.system is None:
            metadata["agency_wide"] = True
        else:
            metadata["system_ids"] = [self.systems[filing.system].id]
        previous = self.evidence.get(filing.new_version_of) if filing.new_version_of else None
        files = [self._document(filing, issued)]
        self.upload(files, metadata, previous)

    def _document(self, filing: Filing, issued: date) -> tuple[bytes, str]:
        slug = re.sub(r"[^a-z0-9]+", "-", filing.title.lower()).strip("-")
        if filing.file == "eml":
            sender = f"{filing.issuer} <cases@dpa.example>"
            return documents.email(filing.title, filing.text, sender, issued), f"{slug}.eml"
        if filing.file == "csv":
            return self._register_csv(filing, issued), f"{slug}.csv"
        return documents.pdf(filing.title, filing.issuer, issued, filing.text), f"{slug}.pdf"

    def _register_csv(self, filing: Filing, issued: date) -> bytes:
        days = lambda n: (self.today + timedelta(days=n)).isoformat()  # noqa: E731
        if filing.system is None:
            return documents.csv(
                "unit,staff,attended,share",
                "Criminal investigation department,120,114,95%",
                "Public order unit,85,80,94%",
                "Contact centre,40,37,93%",
                f"Human resources,18,17,94% (session of {issued.isoformat()})",
            )
        return documents.csv(
            "operator,unit,course,completed_on,valid_until",
            f"Chloe Dubois,Contact centre,Chatbot supervision,{days(-100)},{days(265)}",
            f"Marek Nowak,Contact centre,Chatbot supervision,{days(-400)},{days(-35)}",
        )

    def upload(
        self,
        files: list[tuple[bytes, str]],
        metadata: dict[str, Any],
        previous: Evidence | None = None,
    ) -> Evidence:
        incoming = [IncomingFile(self.store.put(io.BytesIO(data)), name) for data, name in files]
        item = evidence_items.add_evidence(
            self.store, metadata, incoming, self.users[LEGAL], LEGAL, previous=previous
        )
        self.evidence[item.title] = item
        return item

    def decide(self, title: str, decision: str, reason: str = "") -> None:
        reviews.review_evidence(self.evidence[title], decision, reason, self.users[DPO], DPO)

    # --- waivers ------------------------------------------------------------------------------------

    def waiver_decisions(self) -> None:
        # Refused: people are entitled to know; a notice to residents followed (see FILINGS).
        self.waiver(
            HOTSPOT,
            "eu-led.information",
            210,
            60,
            "Forecasts are about places, not people, so no one needs to be told individually.",
        )
        self.at(
            self.day(208, 15),
            lambda: self._decide_waiver(
                HOTSPOT,
                "eu-led.information",
                "reject",
                "Residents are entitled to know the forecasts exist: publish a notice instead.",
            ),
        )
        # Granted, then revoked when an audit found the vendor's logs incomplete.
        self.waiver(
            CHATBOT,
            "eu-led.logging",
            236,
            130,
            "The vendor's platform logs every report until the agency's own logging is connected.",
        )
        self.at(
            self.day(234, 15),
            lambda: self._decide_waiver(
                CHATBOT,
                "eu-led.logging",
                "approve",
                "Accepted until the agency's logging is connected.",
            ),
        )
        self.at(
            self.day(100, 10),
            lambda: self._decide_waiver(
                CHATBOT,
                "eu-led.logging",
                "revoke",
                "The March audit found the vendor's logs incomplete: the agency keeps its own logs from now on.",
            ),
        )
        # Granted and in force.
        self.waiver(
            HOTSPOT,
            "toolkit.decommissioning_procedure",
            62,
            120,
            "Covered by the agency-wide procedure for retiring analytics models; a system-specific procedure follows at the 2027 review.",
        )
        self.at(
            self.day(60, 15),
            lambda: self._decide_waiver(
                HOTSPOT,
                "toolkit.decommissioning_procedure",
                "approve",
                "Accepted until the 2027 review.",
            ),
        )

    def waiver(self, system: str, requirement: str, ago: int, lasts: int, why: str) -> None:
        def request() -> None:
            self.waivers_by_key[f"{system}|{requirement}"] = waivers.request_waiver(
                self.systems[system],
                requirement,
                why,
                self.days_from_today(lasts),
                self.users[LEGAL],
                LEGAL,
                self.catalogue,
            )

        self.at(self.day(ago, 11), request)

    def _decide_waiver(self, system: str, requirement: str, how: str, note: str) -> None:
        waiver, dpo = self.waivers_by_key[f"{system}|{requirement}"], self.users[DPO]
        decide = {
            "approve": waivers.approve_waiver,
            "reject": waivers.reject_waiver,
            "revoke": waivers.revoke_waiver,
        }[how]
        self.waivers_by_key[f"{system}|{requirement}"] = decide(waiver, dpo, note, DPO)

    # --- reminders: the daily sweep's e-mails, as the ledger recorded them ---------------------------

    def reminder_sweeps(self) -> None:
        """Sweeps on the first Monday of each month and every Monday of the last few weeks, each
        delivered a few minutes later (marked sent in the ledger; no mail leaves the machine)."""
        days = set()
        for months_back in range(12):
            first = (self.today.replace(day=1) - timedelta(days=months_back * 31)).replace(day=1)
            days.add(first + timedelta(days=(7 - first.weekday()) % 7))
        monday = self.today - timedelta(days=self.today.weekday())
        days |= {monday - timedelta(weeks=n) for n in range(RECENT_WEEKS)}
        for day in sorted(d for d in days if d < self.today):
            ago = (self.today - day).days
            self.at(self.day(ago, 6), lambda d=day: sweep(d, self.catalogue, self.settings))
            self.at(self.day(ago, 6, 5), self._deliver)

    def _deliver(self) -> None:
        for message in ledger.messages(load_preferences()):
            rows = claiming.try_claim(message.ids)
            if rows:
                claiming.mark_sent(message.ids, mail.message_id(rows, self.settings))
