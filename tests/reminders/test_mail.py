"""How a reminder e-mail is serialised for SMTP (tracker.reminders.mail): the sending policy
writes what compat32 would, and the parts never need their boundary searched for."""

from __future__ import annotations

import email
import email.policy
import random
from email.policy import compat32

import pytest

from tests.reminders.test_digest_cap import MANY, digest
from tracker.reminders import mail

COMPAT32_CRLF = compat32.clone(linesep="\r\n")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_an_email_is_the_bytes_compat32_would_send(language):
    message, _, _ = digest(MANY, language=language)
    assert message["List-Unsubscribe"]  # every kind of header this e-mail can carry
    sent = message.as_bytes(policy=mail.SENDING_POLICY)
    assert sent == message.as_bytes(policy=COMPAT32_CRLF)
    assert b"\n" not in sent.replace(b"\r\n", b"")  # CRLF line ends only


def test_a_short_ascii_header_is_written_as_compat32_folds_it():
    rng = random.Random(13)
    alphabet = "abc XYZ-<>@.,;:\"'()\t=?_0123456789"
    for _ in range(3000):
        name = rng.choice(["To", "Subject", "Content-Type", "X-Long-Header-Name"])
        value = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 90)))
        assert mail.SENDING_POLICY.fold_binary(name, value) == COMPAT32_CRLF.fold_binary(
            name, value
        ), (name, value)


@pytest.mark.parametrize(
    "value",
    ["Grüße aus Brüssel", "line\r\nbreak", "two\nlines", "x" * 200, "word " * 30],
)
def test_other_headers_are_folded_by_compat32(value):
    assert mail.SENDING_POLICY.fold_binary("Subject", value) == COMPAT32_CRLF.fold_binary(
        "Subject", value
    )


def test_both_parts_are_base64_so_no_line_of_theirs_is_the_boundary():
    message, text, page = digest(MANY)
    boundary = message.get_boundary()
    parts = message.get_payload()
    assert [part["Content-Transfer-Encoding"] for part in parts] == ["base64", "base64"]
    for part in parts:
        assert "-" not in part.get_payload()  # base64's alphabet has none
    parsed = email.message_from_bytes(
        message.as_bytes(policy=mail.SENDING_POLICY), policy=email.policy.default
    )
    assert parsed.get_boundary() == boundary
    plain, html = (part.get_content() for part in parsed.iter_parts())
    assert (plain, html) == (text, page)


def test_each_email_has_a_boundary_of_its_own():
    assert digest(MANY)[0].get_boundary() != digest(MANY)[0].get_boundary()
