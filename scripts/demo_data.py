"""Seed a believable demo agency with a year of history: AI systems like those the
INTERPOL/UNICRI toolkit discusses at every stage, their operators and certificates, demo users
for every role (one reading the tracker in French), the agency's profile, and twelve months of
evidence, DPO reviews, waivers, recorded uses and breaches and the reminders sent about them.

The history is made by the tracker's own functions run under a controlled clock
(scripts/demo_agency), so the audit trail is a valid hash chain in time order and every past
date replays as it was: the system pages' charts rise over the year.

Run by ``make run``. It seeds only an empty database (no AI system and no user): then it prints
a fresh sign-in password and API token for each demo user, with links built from
TRACKER_BASE_URL. A database that already holds anything is left exactly as it is, with one
line saying so, and the script still exits 0 so that ``make run`` goes on to serve it.

    python scripts/demo_data.py
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path
from typing import NamedTuple

# The story's modules live beside this script (scripts/demo_agency).
HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from demo_agency.documents import AGENCY_NAME  # noqa: E402
from demo_agency.story import DEMO_USERS, Story  # noqa: E402

from evidence import ContentStore  # noqa: E402
from tracker import accounts, config, db, schema, sign_in  # noqa: E402
from tracker.models import AISystem, User  # noqa: E402
from tracker.plugin_host import load_catalogue_for  # noqa: E402

ACTOR = "demo-seed"
AGENCY = AGENCY_NAME


def seed(settings: config.Settings, agency_and_reminders: bool = False) -> bool:
    """Create the demo agency and its year unless the database already has systems; True when
    seeded.

    The building block for tests, which add their own users first. It leaves out the agency's
    profile and the reminders already sent unless asked (tests of e-mails and reminders start
    from the product's name and an empty ledger); ``seed_empty_database``, what the script runs,
    asks for both.
    """
    if AISystem.select().exists():
        return False
    now = db.utcnow().replace(microsecond=0)
    story = Story(settings, load_catalogue_for(settings), ContentStore(settings.evidence_dir), now)
    story.tell(agency_and_reminders)
    return True


class DemoLogin(NamedTuple):
    """What a demo user signs in with: shown once, stored only as hashes."""

    username: str
    role: str
    password: str
    token: str


def existing_data() -> tuple[int, int]:
    """How many AI systems and users the database holds."""
    return AISystem.select().count(), User.select().count()


def seed_empty_database(settings: config.Settings) -> list[DemoLogin] | None:
    """Seed the demo into an empty database and give each demo user a password and a token.

    Returns None, touching nothing, when the database has any AI system or any user: the demo
    must never change real data (a real ``admin`` keeps its password and tokens).
    """
    # One transaction: a seed that fails half-way leaves the database empty, so a rerun can seed.
    with db.write_transaction():
        if any(existing_data()):
            return None
        seed(settings, agency_and_reminders=True)
        logins = []
        for username, role, *_ in DEMO_USERS:
            user = accounts.get_user(username)
            password = secrets.token_urlsafe(12)
            sign_in.set_password(user, password, ACTOR)
            token = accounts.issue_token(user, "demo", ACTOR)[1]
            logins.append(DemoLogin(username, role, password, token))
    return logins


def report(settings: config.Settings, logins: list[DemoLogin] | None) -> str:
    """The text the script prints."""
    if logins is None:
        systems, users = existing_data()
        return (
            f"The database already has data ({systems} AI systems, {users} users): "
            "the demo was not seeded and nothing was changed."
        )
    lines = [
        f"Seeded the demo agency ({AGENCY}): {AISystem.select().count()} AI systems.",
        f"Sign in at {settings.base_url}/sign-in with (shown only now; "
        "`tracker users set-password NAME` sets a new one):",
        *(f"  {login.role:<8} {login.username:<10} {login.password}" for login in logins),
        "Demo API tokens (send as 'Authorization: Bearer <token>'):",
        *(f"  {login.role:<8} {login.username:<10} {login.token}" for login in logins),
        f"API documentation: {settings.base_url}/api/docs",
    ]
    return "\n".join(lines)


def main() -> int:
    try:
        settings = config.from_environ()
    except config.ConfigError as error:
        print(f"demo data: {error}", file=sys.stderr)
        return 1
    database = db.bind(settings.database_url)
    with database.connection_context():
        schema.upgrade(database)
        print(report(settings, seed_empty_database(settings)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
