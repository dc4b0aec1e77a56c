"""Reminder e-mail: rendered from Jinja templates (text and HTML), sent over one SMTP connection per batch.

A deployment can override the templates by putting its own ``digest.txt.j2``
and ``digest.html.j2`` in ``TRACKER_TEMPLATE_DIR``. The Message-ID is derived
from the notifications a message carries, so a message sent again after a
worker was killed mid-send is recognisably the same message.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from collections import Counter
from collections.abc import Sequence
from datetime import date
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr
from pathlib import Path
from types import TracebackType
from urllib.parse import urlencode

import jinja2

from tracker.config import Settings
from tracker.reminders.items import KINDS
from tracker.reminders.ledger import Claimed

PACKAGED_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "email"


def environment(settings: Settings) -> jinja2.Environment:
    folders = [str(PACKAGED_TEMPLATES)]
    if settings.template_dir:
        folders.insert(0, settings.template_dir)
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folders),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html.j2",), default_for_string=False
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def message_id(rows: Sequence[Claimed], settings: Settings) -> str:
    digest = hashlib.sha256("\n".join(sorted(row.key for row in rows)).encode()).hexdigest()[:40]
    domain = parseaddr(settings.mail_sender)[1].rpartition("@")[2] or "localhost"
    return f"<reminder.{digest}@{domain}>"


def item_link(payload: dict, base_url: str) -> str:
    """The web page where the reader acts on one reminder item.

    Pages, never the API: a reader following a link from a mail client has a browser session,
    not a token. A signed-out reader is sent to sign in and then back here.
    """
    query: dict[str, str] = {}
    if payload.get("kind") == "review_overdue" or (
        payload.get("evidence_id") and not payload.get("system_id")
    ):
        path = f"/evidence/{payload['evidence_id']}" if payload.get("evidence_id") else "/reviews"
    elif payload.get("waiver_id"):
        path = f"/waivers/{payload['waiver_id']}"
    elif payload.get("system_id"):
        path = f"/systems/{payload['system_id']}"
        if payload.get("requirement_id"):
            query["requirement"] = payload["requirement_id"]
    else:
        path = "/portfolio"
    return f"{base_url}{path}" + (f"?{urlencode(query)}" if query else "")


# How urgent an item is, most urgent first: the summary line counts these, and each system lists
# its items in this order. Every item falls in exactly one, so the counts add up to the total.
URGENCY = {
    "overdue": "overdue",
    "needed": "needed before the next stage",
    "due_soon": "due within 30 days",
    "to_review": "to review",
    "later": "due later",
}
DUE_SOON_DAYS = 30
# Already late: a deadline passed (an event's duty, lapsed evidence).
LATE_STATUSES = frozenset({"overdue", "expired"})
# Owed before the system may move to its next stage (items._from_item reminds them only while they
# block), or an operator acting without a valid certificate: needed, but not late. The portfolio
# calls a requirement overdue only once the system is past the stage it was due before.
NEEDED_STATUSES = frozenset({"missing", "rejected"})


def urgency(payload: dict, sweep_date: date) -> str:
    """The urgency bucket (a key of ``URGENCY``) of one notification payload on ``sweep_date``."""
    if payload.get("status") == "pending_review":  # a review waiting, or its escalation
        return "to_review"
    due = date.fromisoformat(payload["due"]) if payload.get("due") else None
    if payload.get("status") in LATE_STATUSES or (due is not None and due < sweep_date):
        return "overdue"
    if payload.get("status") in NEEDED_STATUSES:
        return "needed"
    if payload.get("status") == "expiring_soon" and due is None:  # an operator's certificate
        return "due_soon"
    if due is not None and (due - sweep_date).days <= DUE_SOON_DAYS:
        return "due_soon"
    return "later"


def summary_line(counts: dict[str, int]) -> str:
    """``"3 overdue, 4 needed before the next stage, 5 due within 30 days, 2 to review"``: the
    non-zero buckets, most urgent first."""
    return ", ".join(f"{counts[key]} {label}" for key, label in URGENCY.items() if counts.get(key))


def compose(
    rows: Sequence[Claimed],
    recipient: str,
    name: str,
    settings: Settings,
    unsubscribe_token: str | None,
    templates: jinja2.Environment,
) -> MIMEMultipart:
    """One e-mail for ``rows``, grouped by system, in plain text and HTML.

    Agency-wide items (no system) come once, in a group of their own ahead of the systems; each
    group lists its items most urgent first and says how many of each urgency it holds.

    Built with the ``email.mime`` classes: the newer ``EmailMessage`` re-parses every header it is
    given, which at hundreds of e-mails a second is most of the cost of sending them.
    """
    sweep_date = rows[0].sweep_date
    order = list(URGENCY)
    systems: dict[object, dict] = {}
    for row in rows:
        payload = row.payload
        key = payload.get("system_id") or "agency"
        system = systems.setdefault(
            key,
            {
                "name": payload.get("system_name")
                or ("Agency-wide" if key == "agency" else f"System {key}"),
                "link": f"{settings.base_url}/systems/{key}"
                if key != "agency"
                else f"{settings.base_url}/portfolio",
                "agency": key == "agency",
                "items": [],
            },
        )
        system["items"].append(
            {
                **payload,
                "link": item_link(payload, settings.base_url),
                "urgency": urgency(payload, sweep_date),
            }
        )
    for system in systems.values():
        system["items"].sort(key=lambda item: order.index(item["urgency"]))
        counts = Counter(item["urgency"] for item in system["items"])
        system["summary"] = summary_line(counts)
        if system["agency"] and all(i["kind"] == "review_overdue" for i in system["items"]):
            system["link"] = f"{settings.base_url}/reviews"  # nothing but reviews: their queue
    # Agency-wide first: it is about every system, and it is listed only once.
    groups = sorted(systems.values(), key=lambda system: not system["agency"])
    counts = Counter(item["urgency"] for system in groups for item in system["items"])
    optional = any(not row.mandatory for row in rows)
    # The body links to a page that asks first; the one-click header posts to the API (RFC 8058).
    unsubscribe_url = (
        f"{settings.base_url}/unsubscribe/{unsubscribe_token}"
        if optional and unsubscribe_token
        else ""
    )
    one_click_url = f"{settings.base_url}/api/notifications/unsubscribe/{unsubscribe_token}"
    total = len(rows)
    subject = (
        f"[AI Evidence Tracker] {rows[0].payload['title']}"
        if total == 1
        else f"[AI Evidence Tracker] {total} items need your attention: {summary_line(counts)}"
    )
    context = {
        "recipient": recipient,
        "name": name,
        "systems": groups,
        "total": total,
        "summary": summary_line(counts),
        "urgency": URGENCY,
        "as_of": sweep_date.isoformat(),
        "kinds": KINDS,
        "base_url": settings.base_url,
        "unsubscribe_url": unsubscribe_url,
        "subject": subject,
    }
    message = MIMEMultipart("alternative")
    message["From"] = settings.mail_sender
    message["To"] = formataddr((name, recipient))
    message["Subject"] = Header(subject, "utf-8")
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id(rows, settings)
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{one_click_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.attach(
        MIMEText(templates.get_template("digest.txt.j2").render(context), "plain", "utf-8")
    )
    message.attach(
        MIMEText(templates.get_template("digest.html.j2").render(context), "html", "utf-8")
    )
    return message


class SmtpConnection:
    """One SMTP session for a batch of messages (plain, STARTTLS or implicit TLS, with optional login)."""

    def __init__(self, settings: Settings, timeout: float = 30) -> None:
        self.settings = settings
        self.timeout = timeout
        self.client: smtplib.SMTP | None = None

    def tls_context(self) -> ssl.SSLContext:
        """Certificates are always verified: against TRACKER_SMTP_CA_FILE if set, else the system store."""
        return ssl.create_default_context(cafile=self.settings.smtp_ca_file or None)

    def __enter__(self) -> SmtpConnection:
        s = self.settings
        if s.smtp_security == "ssl":
            self.client = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=self.timeout, context=self.tls_context()
            )
        else:
            self.client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=self.timeout)
        try:
            if s.smtp_security == "starttls":
                self.client.starttls(context=self.tls_context())
            if s.smtp_username:
                self.client.login(s.smtp_username, s.smtp_password)
        except BaseException:
            self.client.close()  # __exit__ will not run when __enter__ fails
            raise
        return self

    def send(self, message: Message, sender: str, recipient: str) -> None:
        assert self.client is not None
        # SMTP wants CRLF line ends; sendmail() leaves bytes as they are.
        self.client.sendmail(
            sender, [recipient], message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
        )

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except (smtplib.SMTPException, OSError):
                self.client.close()
