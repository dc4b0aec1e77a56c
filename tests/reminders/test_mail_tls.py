"""SMTP over STARTTLS (with login) and implicit TLS, against a real aiosmtpd server and a test CA."""

import email
import email.policy
import ssl

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.services import free_port
from tracker.config import Settings
from tracker.reminders.mail import SmtpConnection


class Inbox:
    def __init__(self) -> None:
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"


def accept_relay_user(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"relay" and auth_data.password == b"s3cret"
    return AuthResult(success=ok)


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture
def ca_file(ca, tmp_path):
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def server_context(ca) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


def start(inbox, ca, implicit: bool) -> Controller:
    """STARTTLS with a required login, or implicit TLS (aiosmtpd only offers AUTH on STARTTLS)."""
    port = free_port()
    if implicit:
        options = {"ssl_context": server_context(ca), "server_hostname": "127.0.0.1"}
    else:
        options = {
            "tls_context": server_context(ca),
            "require_starttls": True,
            "authenticator": accept_relay_user,
            "auth_require_tls": True,
        }
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    return controller


def message():
    msg = email.message.EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = (
        "tracker@police.example",
        "dpo@police.example",
        "TLS test",
    )
    msg.set_content("Sent over TLS.")
    return msg


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_mail_goes_over_tls_with_login(ca, ca_file, security):
    inbox = Inbox()
    controller = start(inbox, ca, implicit=security == "ssl")
    try:
        login = (
            {"smtp_username": "relay", "smtp_password": "s3cret"} if security == "starttls" else {}
        )
        settings = Settings(
            smtp_host="127.0.0.1",
            smtp_port=controller.port,
            smtp_security=security,
            smtp_ca_file=ca_file,
            **login,
        ).validated()
        with SmtpConnection(settings) as smtp:
            smtp.send(message(), "tracker@police.example", "dpo@police.example")
    finally:
        controller.stop()
    assert [m["Subject"] for m in inbox.received] == ["TLS test"]


def test_an_untrusted_certificate_is_refused(ca, security="starttls"):
    inbox = Inbox()
    controller = start(inbox, ca, implicit=False)
    try:
        settings = Settings(
            smtp_host="127.0.0.1", smtp_port=controller.port, smtp_security=security
        ).validated()
        with pytest.raises(ssl.SSLCertVerificationError), SmtpConnection(settings):
            pass
    finally:
        controller.stop()
    assert inbox.received == []
