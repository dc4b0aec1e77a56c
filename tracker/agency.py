"""The agency running the tracker: its name, logo and the contacts it publishes.

Set once by an administrator (web page, ``tracker agency`` command) and shown on every page, in
every e-mail and PDF, and in the public register. Plain Python: the web, the CLI and the worker
all read it through :func:`current`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import peewee as pw

from tracker import audit, prepared
from tracker.db import utcnow, write_transaction
from tracker.errors import ValidationFailed
from tracker.i18n.text import Phrase
from tracker.models import AgencyProfile

PRODUCT_NAME = "AI Evidence Tracker"
TEXT_LIMITS = {"name": 200, "dpo_contact": 254, "complaints": 2000, "contact": 2000}
LOGO_TYPES = {"image/png", "image/jpeg", "image/svg+xml", "image/webp"}
MAX_LOGO_BYTES = 256 * 1024


@dataclass(frozen=True)
class Agency:
    name: str = ""
    dpo_contact: str = ""
    complaints: str = ""
    contact: str = ""
    has_logo: bool = False
    updated_at: datetime | None = None

    @property
    def title(self) -> str:
        """How the header and e-mails name the installation: the agency, else the product."""
        return self.name or PRODUCT_NAME


def current() -> Agency:
    """The agency's profile as stored; an empty one before an administrator sets it.

    Every page calls this: the logo's bytes stay in the database, only whether there is one is read.
    """
    row = prepared.first(("agency profile",), _profile)
    if row is None:
        return Agency()
    return Agency(**dict(row, has_logo=bool(row["has_logo"])))


def _profile() -> pw.Query:
    return (
        AgencyProfile.select(
            AgencyProfile.name,
            AgencyProfile.dpo_contact,
            AgencyProfile.complaints,
            AgencyProfile.contact,
            AgencyProfile.logo.is_null(False).alias("has_logo"),
            AgencyProfile.updated_at,
        )
        .order_by(AgencyProfile.id)
        .dicts()
        .limit(1)
    )


def logo() -> tuple[bytes, str] | None:
    """The logo's bytes and media type, if one was uploaded."""
    row = AgencyProfile.select().order_by(AgencyProfile.id).first()
    if row is None or row.logo is None:
        return None
    return bytes(row.logo), row.logo_type


def update(
    values: Mapping[str, Any],
    actor: str,
    logo: tuple[bytes, str] | None = None,
    remove_logo: bool = False,
) -> Agency:
    """Validate and store the agency's profile (audited); nothing is stored when a field fails."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, str] = {}
    for name, limit in TEXT_LIMITS.items():
        value = str(values.get(name, "") or "").strip()
        if len(value) > limit:
            errors[name] = [Phrase("At most %(n)s characters.", n=limit)]
        clean[name] = value
    if clean["dpo_contact"] and "@" not in clean["dpo_contact"]:
        errors.setdefault("dpo_contact", []).append(Phrase("Give the DPO's e-mail address."))
    if logo is not None:
        data, media_type = logo
        if media_type not in LOGO_TYPES:
            errors["logo"] = [Phrase("Use a PNG, JPEG, WebP or SVG image.")]
        elif len(data) > MAX_LOGO_BYTES:
            errors["logo"] = [Phrase("At most %(size)s KB.", size=MAX_LOGO_BYTES // 1024)]
    if errors:
        raise ValidationFailed(errors)
    with write_transaction():
        row = AgencyProfile.select().order_by(AgencyProfile.id).first() or AgencyProfile()
        before = {name: getattr(row, name) for name in TEXT_LIMITS} if row.id else {}
        for name, value in clean.items():
            setattr(row, name, value)
        if logo is not None:
            row.logo, row.logo_type = logo
        elif remove_logo:
            row.logo, row.logo_type = None, ""
        row.updated_at, row.updated_by = utcnow(), actor
        row.save()
        after = dict(clean, logo=row.logo_type or None)
        audit.record(actor, "agency.updated", "agency", row.id, before=before, after=after)
    return current()
