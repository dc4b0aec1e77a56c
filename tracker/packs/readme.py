"""The README.txt inside a pack: for an auditor, in plain words, how to check it.

It names the standard tools that suffice (``sha256sum`` and ``openssl``), so that checking a
pack never depends on trusting the tracker that built it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from tracker.i18n import gettext as _
from tracker.models import AISystem
from tracker.packs.bag import MANIFEST, PUBLIC_KEY, SIGNATURE, TAG_MANIFEST


def readme(root: str, as_of: date, systems: Sequence[AISystem], key_id: str) -> str:
    if len(systems) == 1:
        system = systems[0]
        covers = _(
            "This pack holds the evidence of AI system %(id)s, %(name)s,",
            id=system.id,
            name=system.name,
        )
    else:
        covers = _(
            "This pack holds the evidence of every AI system (%(count)s),", count=len(systems)
        )
    day = as_of.isoformat()
    parts = [
        _("EVIDENCE PACK"),
        covers
        + " "
        + _(
            "as it stood at the end of %(day)s: the files that counted, the DPO's review "
            "decisions, waivers, recorded events, the completeness report (report/, as PDF, "
            "JSON and CSV), the system's profile on that date, the catalogue of legal "
            "requirements in force and an excerpt of the audit trail.",
            day=day,
        ),
        _(
            "It is a BagIt bag (RFC 8493). Every file under data/ is listed with its SHA-256 in "
            "%(manifest)s; every other file is listed in %(tags)s, which is signed with the "
            "agency's Ed25519 key (%(signature)s, public key in %(key)s, key id %(key_id)s). "
            "Compare that public key with the one the agency publishes on its public register.",
            manifest=MANIFEST,
            tags=TAG_MANIFEST,
            signature=SIGNATURE,
            key=PUBLIC_KEY,
            key_id=key_id,
        ),
        _("HOW TO CHECK IT WITH STANDARD TOOLS"),
        _("1. Unzip the pack and go into its folder:"),
        f"     unzip {root}.zip && cd {root}",
        _("2. Check that no file was altered or removed (every line must say OK):"),
        f"     sha256sum -c {MANIFEST}",
        f"     sha256sum -c {TAG_MANIFEST}",
        _("3. Check that no file was added (this prints nothing when none was):"),
        f"     find data -type f | sed 's|^|  |' | sort > /tmp/present && "
        f"cut -c 65- {MANIFEST} | sort | diff - /tmp/present",
        _("4. Check the signature (OpenSSL 3; it prints 'Signature Verified Successfully'):"),
        f"     openssl pkeyutl -verify -pubin -inkey {PUBLIC_KEY} -rawin "
        f"-in {TAG_MANIFEST} -sigfile {SIGNATURE}",
        _("HOW TO CHECK IT WITH THE TRACKER"),
        _(
            "With the AI Evidence Tracker package installed (no database or server is needed), "
            "this does all of the above, and also checks that the audit excerpt "
            "(data/audit/) chains to the agency's audit trail and its signed checkpoint:"
        ),
        f"     tracker pack verify {root}.zip --public-key agency-pack-key.pem",
        _(
            "It names every file added, removed or altered, a bad signature or an audit excerpt "
            "that does not chain, and exits with a non-zero status when it finds one."
        ),
    ]
    return "\n\n".join(parts) + "\n"
