"""Where a law applies: dated membership of the states it binds, and the deployment's answers.

A jurisdiction declares its :class:`Territory` (EU member states for the EU frameworks; parties
to a convention, each from the date it binds them), with a source and a verification status like
any citation. The deployment declares the agency's countries (``TRACKER_AGENCY_COUNTRIES``) and a
system may add the countries it is used in. Where membership cannot be verified, the territory is
marked uncertain and the deployment answers it (``TRACKER_BINDING``): nothing is guessed. A
system's explicit ``jurisdictions`` list overrides all of this, and is shown as an override.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from tracker.i18n import N_
from tracker.i18n.text import Phrase, listing

BINDING_SETTING = "TRACKER_BINDING"
COUNTRIES_SETTING = "TRACKER_AGENCY_COUNTRIES"


@dataclass(frozen=True)
class Membership:
    """A state bound by a law from ``since`` (until ``until``, exclusive, if it left)."""

    country: str  # ISO 3166-1 alpha-2
    since: date
    until: date | None = None

    def on(self, day: date) -> bool:
        return self.since <= day and (self.until is None or day < self.until)


@dataclass(frozen=True)
class Territory:
    """The states a jurisdiction binds, as dated data with its source and verification."""

    name: str  # e.g. "EU member states"
    members: tuple[Membership, ...]
    source: str  # where the membership comes from (a link)
    verification: str  # a key of tracker.requirements.VERIFICATION
    note: str = ""
    # Membership could not be verified: the deployment answers whether the law binds it.
    uncertain: bool = False

    def member_on(self, countries: Iterable[str], day: date) -> Membership | None:
        """The first membership among ``countries`` in force on ``day``."""
        wanted = set(countries)
        return next((m for m in self.members if m.country in wanted and m.on(day)), None)


@dataclass(frozen=True)
class Deployment:
    """What the deployment says about where it works: its countries and its binding answers."""

    countries: tuple[str, ...] = ()
    # Jurisdiction id -> the date it binds the agency from, or None: it does not bind it.
    binding: Mapping[str, date | None] | None = None


@dataclass(frozen=True)
class Reach:
    """Whether a jurisdiction reaches a system on a date, and the sentence that says why."""

    applies: bool
    reason: str


def reach(
    jurisdiction_id: str,
    territory: Territory | None,
    deployment: Deployment,
    system_countries: Iterable[str],
    day: date,
) -> Reach:
    """Does the law reach a system (of no explicit jurisdictions) on ``day``, and why."""
    binding = deployment.binding or {}
    if jurisdiction_id in binding:
        since = binding[jurisdiction_id]
        if since is None:
            return Reach(
                False,
                Phrase(
                    "the deployment answers that %(jurisdiction)s does not bind it",
                    jurisdiction=jurisdiction_id,
                ),
            )
        message = N_("binds the agency since %(day)s (%(setting)s)")
        if day < since:
            message = N_("binds the agency from %(day)s (%(setting)s)")
        return Reach(day >= since, Phrase(message, day=since, setting=BINDING_SETTING))
    if territory is None:
        return Reach(True, Phrase("applies wherever the deployment enables it (no territory)"))
    if territory.uncertain:
        return Reach(
            False,
            Phrase(
                "membership of %(territory)s is not verified: the deployment must answer it "
                "(%(setting)s=%(jurisdiction)s=YYYY-MM-DD, or =%(jurisdiction)s=no)",
                territory=territory.name,
                setting=BINDING_SETTING,
                jurisdiction=jurisdiction_id,
            ),
        )
    agency = tuple(deployment.countries)
    found = territory.member_on(agency, day)
    whose = N_("the agency's country, %(country)s, is among %(territory)s since %(day)s")
    if found is None:
        found = territory.member_on(system_countries, day)
        whose = N_(
            "a country the system is used in, %(country)s, is among %(territory)s since %(day)s"
        )
    if found is None:
        where = listing(dict.fromkeys((*agency, *system_countries)))
        return Reach(
            False,
            Phrase(
                "%(countries)s: not among %(territory)s on %(day)s",
                countries=where if where else Phrase("no country declared"),
                territory=territory.name,
                day=day,
            ),
        )
    return Reach(
        True,
        Phrase(
            "%(member)s (%(verification)s: %(source)s)",
            member=Phrase(whose, country=found.country, territory=territory.name, day=found.since),
            verification=territory.verification,
            source=territory.source,
        ),
    )


def uncertain(name: str, source: str, note: str) -> Territory:
    """A territory whose membership the catalogue cannot verify: the deployment answers it."""
    return Territory(name, (), source, "U", note, uncertain=True)


def parse_binding(raw: str) -> dict[str, date | None]:
    """``au-malabo=2023-06-08,coe-cets225=no`` -> {id: date or None}; ValueError naming the part."""
    out: dict[str, date | None] = {}
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        key, sep, value = part.partition("=")
        value = value.strip()
        if not sep or not key.strip():
            raise ValueError(f"{part!r} must look like 'au-malabo=2023-06-08' or 'coe-cets225=no'")
        if value.casefold() == "no":
            out[key.strip()] = None
        else:
            try:
                out[key.strip()] = date.fromisoformat(value)
            except ValueError:
                raise ValueError(
                    f"{part!r}: give the date the law binds the agency from (YYYY-MM-DD) or 'no'"
                ) from None
    return out


# The European Union's member states and the date each joined (the EEC's founders from 1958).
# The United Kingdom left on 31 January 2020; EU law applied to it until the end of 2020.
EU_ACCESSIONS = {
    date(1958, 1, 1): ("BE", "DE", "FR", "IT", "LU", "NL"),
    date(1973, 1, 1): ("DK", "IE"),
    date(1981, 1, 1): ("GR",),
    date(1986, 1, 1): ("ES", "PT"),
    date(1995, 1, 1): ("AT", "FI", "SE"),
    date(2004, 5, 1): ("CY", "CZ", "EE", "HU", "LT", "LV", "MT", "PL", "SI", "SK"),
    date(2007, 1, 1): ("BG", "RO"),
    date(2013, 7, 1): ("HR",),
}
EU_MEMBER_STATES = Territory(
    "EU member states",
    (
        *(Membership(c, since) for since, countries in EU_ACCESSIONS.items() for c in countries),
        Membership("GB", date(1973, 1, 1), until=date(2021, 1, 1)),
    ),
    "https://european-union.europa.eu/principles-countries-history/eu-countries_en",
    "P",
    "membership and accession dates from the compiler's knowledge, not checked against the "
    "source in this catalogue; EEA and Schengen-associated states are not listed: a deployment "
    f"there answers with {BINDING_SETTING}",
)
