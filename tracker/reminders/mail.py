"""Reminder e-mail: rendered from Jinja templates (text and HTML), sent over one SMTP connection per batch.

A deployment can override the templates by putting its own ``digest.txt.j2``
and ``digest.html.j2`` in ``TRACKER_TEMPLATE_DIR``. The Message-ID is derived
from the notifications a message carries, so a message sent again after a
worker was killed mid-send is recognisably the same message.

Each e-mail is in its recipient's language (the user with that address, else the deployment's
``TRACKER_LANGUAGE``): subject, sentences, dates (in the agency's time zone) and the words of
each item are made in that language here, from the parts the sweep stored with each item. How a
digest is laid out (urgency, groups, which items it lists) is tracker.reminders.digest.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import smtplib
import ssl
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from email.charset import BASE64, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import Compat32
from email.utils import formataddr, formatdate, parseaddr
from pathlib import Path
from types import TracebackType
from urllib.parse import urlencode

import jinja2

from tracker import i18n
from tracker.agency import Agency
from tracker.config import Settings
from tracker.i18n import gettext, ngettext
from tracker.reminders import digest
from tracker.reminders.claiming import Claimed
from tracker.reminders.kinds import KINDS
from tracker.requirements import EVENT_KINDS
from tracker.vocabulary import LIFECYCLE_STAGES, STATUS_WORDS

PACKAGED_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "email"


def environment(settings: Settings) -> jinja2.Environment:
    """The e-mail templates' environment, one per template folders for the process: a delivery
    job renders with templates compiled once (by the worker before it forks the job's process,
    see jobs.context), not compiled again for every batch. Jinja still reloads a changed file."""
    folders = [str(PACKAGED_TEMPLATES)]
    if settings.template_dir:
        folders.insert(0, settings.template_dir)
    return _environment(tuple(folders))


@functools.lru_cache(maxsize=8)
def _environment(folders: tuple[str, ...]) -> jinja2.Environment:
    templates = jinja2.Environment(
        loader=jinja2.FileSystemLoader(list(folders)),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html.j2",), default_for_string=False
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # Newstyle, as on the pages: ``_("Hello %(name)s,", name=name)``, escaped in HTML. Jinja does
    # the %-formatting, so it gets the catalogue's raw text in the language current at rendering.
    templates.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda message: i18n.translations(i18n.current_language()).gettext(message),
        ngettext=lambda singular, plural, count: i18n.translations(
            i18n.current_language()
        ).ngettext(singular, plural, count),
        newstyle=True,
    )
    return templates


def message_id(rows: Sequence[Claimed], settings: Settings) -> str:
    hashed = hashlib.sha256("\n".join(sorted(row.key for row in rows)).encode()).hexdigest()[:40]
    domain = parseaddr(settings.mail_sender)[1].rpartition("@")[2] or "localhost"
    return f"<reminder.{hashed}@{domain}>"


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


def _day(iso: str | None) -> str:
    return _day_in(iso, i18n.current_language()) if iso else ""


@functools.lru_cache(maxsize=4096)
def _day_in(iso: str, language: str) -> str:
    # A digest run formats the same few dates thousands of times: each once per language.
    return i18n.format_day(date.fromisoformat(iso))


def _moment(iso: str, timezone: str) -> str:
    # The day as dates are written everywhere ("27 Nov 2026"), then the time to the minute.
    return i18n.format_moment(datetime.fromisoformat(iso), timezone, style="d MMM y, HH:mm")


def localised(payload: dict, timezone: str) -> dict[str, str]:
    """One item's title, status and detail in the current language.

    Made from the item's ``parts`` (tracker.reminders.items); an item stored before they were
    (or a part this code does not know) keeps the English ``title`` and ``detail`` it was stored
    with. Requirement titles, citations and completeness details are the plugins' own text.
    """
    parts = payload.get("parts") or {}
    # A requirement's title is a plugin's text: its catalogue has it in the reader's language.
    title, detail = _text(parts.get("title", payload["title"])), payload.get("detail") or ""
    if "operator" in parts:
        title = gettext("%(title)s: %(operator)s", title=title, operator=parts["operator"])
    if parts.get("due_before") in LIFECYCLE_STAGES:
        stage = gettext(LIFECYCLE_STAGES[parts["due_before"]]).lower()
        title = gettext("%(title)s (due before %(stage)s)", title=title, stage=stage)
    if "waiver_of" in parts:
        title = gettext("Waiver of %(requirement)s", requirement=parts["waiver_of"])
    if "event" in parts and "occurred_at" in parts:
        event = EVENT_KINDS.get(parts["event"]) or parts["event"].replace("_", " ")
        title = gettext(
            "%(title)s after the %(event)s of %(moment)s",
            title=title,
            event=gettext(event).lower(),
            moment=_moment(parts["occurred_at"], timezone),
        )
    if "deadline" in parts:
        detail = gettext("deadline %(moment)s", moment=_moment(parts["deadline"], timezone))
    if "uploaded" in parts:
        detail = gettext("uploaded %(date)s", date=_day(parts["uploaded"]))
    if "reminded" in parts:
        title = ngettext(
            "%(title)s (reminded %(num)s time with no change)",
            "%(title)s (reminded %(num)s times with no change)",
            int(parts["reminded"]),
            title=title,
        )
    kind = gettext(KINDS[payload["kind"]]) if payload["kind"] in KINDS else payload["kind"]
    status = payload.get("status") or ""
    if status and status != payload["kind"]:
        word = STATUS_WORDS.get(status)
        kind = gettext(
            "%(kind)s: %(status)s",
            kind=kind,
            status=gettext(word) if word else status.replace("_", " "),
        )
    if detail:
        kind = gettext("%(status)s (%(detail)s)", status=kind, detail=detail)
    citation = payload.get("citation") or ""
    if payload.get("citation_parts"):
        instrument, article = payload["citation_parts"]
        citation = gettext(
            "%(instrument)s, %(article)s", instrument=_text(instrument), article=_text(article)
        )
    return {
        "title": title,
        "status_text": kind,
        "due_text": _day(payload.get("due")),
        "citation": citation,
    }


def _text(english: str) -> str:
    """A plugin's text (a title, a citation) in the current language, if its catalogue has it."""
    return i18n.translations(i18n.current_language()).gettext(english) if english else english


def compose(
    rows: Sequence[Claimed],
    recipient: str,
    name: str,
    settings: Settings,
    unsubscribe_token: str | None,
    templates: jinja2.Environment,
    language: str | None = None,
    agency: Agency | None = None,
) -> MIMEMultipart:
    """One e-mail for ``rows``, grouped by system, in plain text and HTML, in ``language`` (else
    the deployment's), signed with the ``agency``'s name and its DPO's address.

    Agency-wide items (no system) come once, in a group of their own ahead of the systems; each
    group lists its items most urgent first and says how many of each urgency it holds.

    An e-mail lists at most ``TRACKER_DIGEST_MAX_ITEMS`` items. Over that, it lists the most
    urgent across the whole message (agency-wide first, then the systems with the most urgent
    of them), says in each group how many of its items it lists, and counts the others by
    urgency with a link to where they are. The subject, the summary and each group's counts
    still count every item, and the Message-ID covers every row: each is recorded as sent by
    this e-mail. Rows beyond the cap cost their urgency and a counter each, nothing rendered.

    Built with the ``email.mime`` classes: the newer ``EmailMessage`` re-parses every header it is
    given, which at hundreds of e-mails a second is most of the cost of sending them.
    """
    return compose_listing(
        rows, recipient, name, settings, unsubscribe_token, templates, language, agency
    )[0]


def compose_listing(
    rows: Sequence[Claimed],
    recipient: str,
    name: str,
    settings: Settings,
    unsubscribe_token: str | None,
    templates: jinja2.Environment,
    language: str | None = None,
    agency: Agency | None = None,
) -> tuple[MIMEMultipart, list[int] | None]:
    """:func:`compose`, and the ids of the rows the e-mail lists when it does not list them all
    (over ``TRACKER_DIGEST_MAX_ITEMS``); None when it lists every row. The others were counted,
    not named: the ledger records them so (claiming.mark_sent), and escalation does not count
    them as reminded."""
    with i18n.using(language or settings.language):
        message, listed = _compose(
            rows, recipient, name, settings, unsubscribe_token, templates, agency
        )
    if len(listed) == len(rows):
        return message, None
    return message, [row_id for index in listed if (row_id := rows[index].id) is not None]


def _compose(
    rows: Sequence[Claimed],
    recipient: str,
    name: str,
    settings: Settings,
    unsubscribe_token: str | None,
    templates: jinja2.Environment,
    agency: Agency | None,
) -> tuple[MIMEMultipart, list[int]]:
    agency = agency or Agency()
    sweep_date = rows[0].sweep_date
    total = len(rows)
    # One pass over every row for what the counts and the choice need (its urgency and group);
    # words and links are made only for the items the e-mail lists (digest.listed).
    urgencies, groups_of = digest.survey(rows, sweep_date)
    listed = digest.listed(rows, urgencies, settings.digest_max_items)
    digest.load_shown(rows, listed, groups_of)
    systems: dict[object, dict] = {}
    for index in listed:
        payload = rows[index].payload
        group = groups_of[rows[index].system_id or "agency"]
        system = systems.get(group.key)
        if system is None:
            system = systems[group.key] = group.shown(settings.base_url)
        system["items"].append(
            {
                **payload,
                **localised(payload, settings.timezone),
                "link": item_link(payload, settings.base_url),
                "urgency": urgencies[index],
            }
        )
    more = total - len(listed)
    order = list(digest.URGENCY)
    for system in systems.values():
        if not more:  # listed as they come: the most urgent first (capped, they come so)
            system["items"].sort(key=lambda item: order.index(item["urgency"]))
        system["listed"] = len(system["items"])
    counts: Counter[str] = Counter(urgencies)
    # Agency-wide first: it is about every system, and it is listed only once. Then the systems
    # in the rows' order, or, capped, that of their most urgent item.
    groups = sorted(systems.values(), key=lambda system: not system["agency"])
    optional = any(not row.mandatory for row in rows)
    # The body links to a page that asks first; the one-click header posts to the API (RFC 8058).
    unsubscribe_url = (
        f"{settings.base_url}/unsubscribe/{unsubscribe_token}"
        if optional and unsubscribe_token
        else ""
    )
    one_click_url = f"{settings.base_url}/api/notifications/unsubscribe/{unsubscribe_token}"
    summary = digest.summary_line(counts)
    subject = f"[{agency.title}] " + (
        groups[0]["items"][0]["title"]
        if total == 1
        else ngettext(
            "%(num)s item needs your attention: %(summary)s",
            "%(num)s items need your attention: %(summary)s",
            total,
            summary=summary,
        )
    )
    context = {
        "recipient": recipient,
        "name": name,
        "systems": groups,
        "total": total,
        "summary": summary,
        "listed": len(listed),
        "more": more,
        **(digest.not_listed(groups_of, counts, systems, settings.base_url) if more else {}),
        "urgency": {key: gettext(label) for key, label in digest.URGENCY.items()},
        "as_of": sweep_date.isoformat(),
        "as_of_text": i18n.format_day(sweep_date),
        "kinds": {key: gettext(label) for key, label in KINDS.items()},
        "base_url": settings.base_url,
        "unsubscribe_url": unsubscribe_url,
        "subject": subject,
        "agency": agency,
        "language": i18n.current_language(),
    }
    # Both parts are base64 (MIMEText's for UTF-8), whose alphabet has no "-": no line of theirs
    # can be a boundary line, so the generator need not make one and search both parts for it
    # (it compiles a new expression for each e-mail: a millisecond of every one).
    message = MIMEMultipart("alternative", boundary=f"=_{secrets.token_hex(16)}")
    message["From"] = settings.mail_sender
    message["To"] = formataddr((name, recipient))
    message["Subject"] = _subject(subject)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id(rows, settings)
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = i18n.current_language()
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{one_click_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.attach(
        MIMEText(templates.get_template("digest.txt.j2").render(context), "plain", "utf-8")
    )
    message.attach(
        MIMEText(templates.get_template("digest.html.j2").render(context), "html", "utf-8")
    )
    return message, listed


# Non-ASCII subjects as base64 encoded words. Header(subject, "utf-8") encoded every subject,
# ASCII ones too, choosing the shorter of quoted-printable and base64 at each fold: measuring
# the quoted-printable length byte by byte cost a millisecond an e-mail.
_ENCODED_WORDS = Charset("utf-8")
_ENCODED_WORDS.header_encoding = BASE64


def _subject(text: str) -> str | Header:
    """The Subject header's value: ASCII as it is (folded at spaces), else encoded words."""
    return text if text.isascii() else Header(text, _ENCODED_WORDS, header_name="Subject")


class _SendingPolicy(Compat32):
    """compat32 with CRLF line ends, writing a header that already fits on its line as it is.

    compat32 folds every header through :class:`email.header.Header`, splitting and measuring
    it even when it is one short ASCII line (most are: the parts' Content-Type, the dates, the
    addresses): fifteen headers an e-mail cost two milliseconds. What it would write for such a
    header is the header itself (tests.reminders.test_mail compares them); anything longer,
    non-ASCII or with a line end of its own is still folded by compat32.
    """

    def fold_binary(self, name: str, value: object) -> bytes:
        if (
            isinstance(value, str)
            and value.isascii()
            and len(name) + 2 + len(value) <= self.max_line_length
            and "\r" not in value
            and "\n" not in value
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


SENDING_POLICY = _SendingPolicy(linesep="\r\n")  # SMTP wants CRLF line ends


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
        # sendmail() sends bytes as they are: the policy gives them their CRLF line ends.
        self.client.sendmail(sender, [recipient], message.as_bytes(policy=SENDING_POLICY))

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
