"""The nginx configuration of docs/nginx/tracker.conf, tested: nginx from Debian, started here
as a child process with that file (its ports, certificate and upstream replaced), in front of a
real `tracker serve` trusting one proxy (TRACKER_TRUSTED_PROXIES=1) and logging JSON.

Through nginx over TLS, the tracker sees the client's own address and https; a 32 MiB upload
streams through while it is being sent (nginx does not spool it first) and lands verified; a
larger one than TRACKER_MAX_UPLOAD_MB is refused by nginx; a client that sends its request head
slower than nginx's client_header_timeout is cut off by nginx and never reaches the tracker.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.cli.test_serve import SETUP, free_port, serving, wait_until_up

CONFIG = Path(__file__).parent.parent.parent / "docs" / "nginx" / "tracker.conf"
INSTALL = "apt-get update && apt-get install -y --no-install-recommends nginx"
MAX_UPLOAD_MB = 64
HEADER_TIMEOUT = 2  # seconds: nginx's client_header_timeout here (10 s in the docs)
CLIENT = "127.0.0.2"  # the test's client connects from here; nginx reaches the app from 127.0.0.1
UPLOAD = 32 * 1024 * 1024
WAIT = 30  # seconds: a bound on hanging, not a performance target


def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )
    if found is None:
        # Not skipped: `make test` installs it (scripts/install_system_packages.sh).
        pytest.fail(f"the nginx test needs nginx from Debian; install it with: {INSTALL}")
    return found


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (certificate, key) PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tracker test")])
    now = datetime.datetime.now(datetime.UTC)
    made = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(made.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def render(text: str, replacements: dict[str, str]) -> str:
    """The docs configuration with each line named in ``replacements`` replaced (each must be
    there: the test follows the file, and fails if the file no longer has what it replaces)."""
    for old, new in replacements.items():
        assert old in text, f"{CONFIG} no longer has {old!r}"
        text = text.replace(old, new)
    return "\n".join(line for line in text.splitlines() if "[::]" not in line) + "\n"


MAIN = """
daemon off;
master_process on;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log info;
{user}
events {{ worker_connections 128; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/client-body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/tracker.conf;
}}
"""


def wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + WAIT
    while True:
        assert process.poll() is None, "nginx stopped:\n" + log.read_text()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, "nginx did not start:\n" + log.read_text()
            time.sleep(0.1)


class Proxied:
    def __init__(self, https: int, http: int, folder: Path, app_log: Path, cert: Path, env):
        self.https, self.http, self.folder, self.app_log, self.cert = (
            https,
            http,
            folder,
            app_log,
            cert,
        )
        self.env = env
        self.base = f"https://127.0.0.1:{https}"

    def client(self, **kwargs) -> httpx.Client:
        transport = httpx.HTTPTransport(local_address=CLIENT, verify=self.tls(), retries=0)
        return httpx.Client(base_url=self.base, transport=transport, timeout=WAIT, **kwargs)

    def tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))

    def app_lines(self) -> list[dict]:
        """The tracker's JSON log lines (gunicorn's own lines are not JSON)."""
        return [
            json.loads(line)
            for line in self.app_log.read_text().splitlines()
            if line.startswith("{")
        ]

    def request_line(self, request_id: str) -> dict:
        deadline = time.monotonic() + WAIT
        while True:
            found = [
                x
                for x in self.app_lines()
                if x.get("logger") == "tracker.requests" and x.get("request_id") == request_id
            ]
            if found:
                return found[0]
            assert time.monotonic() < deadline, self.app_log.read_text()
            time.sleep(0.05)


@pytest.fixture(scope="module")
def proxied(tmp_path_factory) -> Iterator[Proxied]:
    """`tracker serve` behind nginx, both stopped after the module's tests."""
    nginx = nginx_binary()
    folder = tmp_path_factory.mktemp("nginx")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TRACKER_") and key != "XDG_RUNTIME_DIR"
    }
    env.update(
        HOME=str(folder / "home"),
        TRACKER_ENV="testing",
        TRACKER_DATA_DIR=str(folder / "data"),
        TRACKER_DATABASE_URL=f"sqlite:///{folder / 'data' / 'tracker.db'}",
        TRACKER_API_RATE_LIMIT="off",
        TRACKER_TRUSTED_PROXIES="1",
        TRACKER_LOG_FORMAT="json",
        TRACKER_MAX_UPLOAD_MB=str(MAX_UPLOAD_MB),
    )
    (folder / "home").mkdir()
    token = subprocess.run(
        [sys.executable, "-c", SETUP], env=env, check=True, capture_output=True, text=True
    ).stdout.split()[-1]
    env["TEST_TOKEN"] = token
    cert, key = certificate(folder)
    https, http = free_port(), free_port()
    app_log = folder / "tracker.log"
    with serving(env, app_log) as (app_base, app_process, _log):
        wait_until_up(app_base, app_process, app_log)
        app_port = app_base.rsplit(":", 1)[1]
        site = render(
            CONFIG.read_text(),
            {
                "server 127.0.0.1:5000;": f"server 127.0.0.1:{app_port};",
                "listen 80;": f"listen 127.0.0.1:{http};",
                "listen 443 ssl http2;": f"listen 127.0.0.1:{https} ssl http2;",
                "/etc/ssl/tracker/fullchain.pem": str(cert),
                "/etc/ssl/tracker/privkey.pem": str(key),
                "client_header_timeout 10s;": f"client_header_timeout {HEADER_TIMEOUT}s;",
                "client_max_body_size 512m;": f"client_max_body_size {MAX_UPLOAD_MB}m;",
            },
        )
        (folder / "tracker.conf").write_text(site)
        # As root, nginx's workers would run as nobody, who cannot enter the test's folder.
        user = "user root;" if os.geteuid() == 0 else ""
        (folder / "nginx.conf").write_text(MAIN.format(folder=folder, user=user))
        command = [nginx, "-p", str(folder), "-e", str(folder / "error.log")]
        command += ["-c", str(folder / "nginx.conf")]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        with open(folder / "nginx.out", "wb") as output:
            process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        try:
            wait_for_port(https, process, folder / "error.log")
            yield Proxied(https, http, folder, app_log, cert, env)
        finally:
            process.terminate()
            try:
                process.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_through_nginx_the_tracker_sees_the_client_and_https(proxied):
    with proxied.client() as client:
        # A client's own X-Forwarded-For is kept in front of nginx's value, never taken.
        response = client.get("/register/schema.json", headers={"X-Forwarded-For": "6.6.6.6"})
    assert response.status_code == 200
    assert response.json()["$id"] == f"{proxied.base}/register/schema.json"
    assert response.headers["Strict-Transport-Security"]  # the request came in over https
    made = response.headers["X-Request-ID"]  # nginx's $request_id, taken by the tracker
    assert len(made) == 32 and int(made, 16) >= 0
    line = proxied.request_line(made)
    assert line["client"] == CLIENT and line["scheme"] == "https"
    assert line["route"] == "/register/schema.json" and line["status"] == 200
    # Plain HTTP only redirects.
    with httpx.Client(transport=httpx.HTTPTransport(local_address=CLIENT)) as plain:
        moved = plain.get(f"http://127.0.0.1:{proxied.http}/register?x=1")
    assert moved.status_code == 301
    assert moved.headers["Location"] == "https://127.0.0.1/register?x=1"


def multipart(boundary: str, content_parts: Iterator[bytes], fields: dict[str, str]):
    for name, value in fields.items():
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    yield from content_parts
    yield f"\r\n--{boundary}--\r\n".encode()


def test_a_large_upload_streams_through_nginx_and_lands_verified(proxied):
    content = b"line of evidence text\n" * (UPLOAD // 22)
    digest = hashlib.sha256(content).hexdigest()
    temporary = proxied.folder / "data" / "evidence-store" / "tmp"
    half = len(content) // 2
    arrived_while_sending: list[int] = []

    def body_parts() -> Iterator[bytes]:
        for start in range(0, half, 1024 * 1024):
            yield content[start : min(start + 1024 * 1024, half)]
        # Half sent: the tracker is already writing it to the store (nginx passes it on as it
        # comes), while the rest has not left the client yet.
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            sizes = [p.stat().st_size for p in temporary.glob("upload-*")] or [0]
            if max(sizes) >= half // 2:
                arrived_while_sending.append(max(sizes))
                break
            time.sleep(0.05)
        yield content[half:]

    fields = {"kind": "record", "title": "through nginx", "agency_wide": "true"}
    parts = list(multipart("nginx-test-boundary", iter([b""]), fields))
    length = sum(map(len, parts)) + len(content)
    token = proxied.env["TEST_TOKEN"]
    with proxied.client() as client:
        response = client.post(
            "/api/evidence",
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "multipart/form-data; boundary=nginx-test-boundary",
                "Content-Length": str(length),
            },
            content=multipart("nginx-test-boundary", body_parts(), fields),
        )
        assert response.status_code == 201, response.text
        assert arrived_while_sending, "nothing reached the tracker before the upload ended"
        (stored,) = response.json()["files"]
        assert stored["size"] == len(content) and stored["sha256"] == digest
        with client.stream(
            "GET", stored["download_url"], headers={"Authorization": f"Bearer {token}"}
        ) as download:
            assert download.status_code == 200
            hasher = hashlib.sha256()
            for chunk in download.iter_bytes():
                hasher.update(chunk)
        assert hasher.hexdigest() == digest
    line = proxied.request_line(response.headers["X-Request-ID"])
    assert line["route"] == "/api/evidence" and line["status"] == 201 and line["user"] == "probe"
    line = proxied.request_line(download.headers["X-Request-ID"])
    assert line["route"] == "/api/evidence/<int:evidence_id>/files/<int:file_id>/content"
    assert line["status"] == 200 and line["client"] == CLIENT
    assert token not in proxied.app_log.read_text()


def test_everything_the_server_logs_is_json(proxied):
    said, *logged = proxied.app_log.read_text().splitlines()
    assert said.startswith("AI Evidence Tracker on ")  # what `tracker serve` says, not a log line
    lines = [json.loads(line) for line in logged]  # gunicorn's own lines included
    assert any(line["logger"] == "gunicorn.error" for line in lines)
    assert any(line["logger"] == "tracker.requests" for line in lines)


def tls_socket(proxied) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", proxied.https), timeout=WAIT)
    return proxied.tls().wrap_socket(raw, server_hostname="127.0.0.1")


def test_an_upload_over_the_limit_is_refused_by_nginx(proxied):
    with tls_socket(proxied) as sock:
        sock.sendall(
            b"POST /api/evidence HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=B\r\n"
            b"Content-Length: %d\r\n\r\n" % ((MAX_UPLOAD_MB + 1) * 1024 * 1024)
        )
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413 "), answer
    assert not [x for x in proxied.app_lines() if x.get("status") == 413]


def test_a_slow_client_is_cut_off_by_nginx_without_reaching_the_tracker(proxied):
    started = time.monotonic()
    cut_after = None
    with tls_socket(proxied) as sock:
        sock.sendall(b"GET /register.csv HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        sock.settimeout(0.25)
        # A byte every quarter second, for up to four times nginx's header timeout.
        while time.monotonic() - started < 4 * HEADER_TIMEOUT:
            try:
                sock.sendall(b"a")
                if sock.recv(1024) == b"":
                    cut_after = time.monotonic() - started
                    break
            except TimeoutError:
                continue
            except (ssl.SSLError, OSError):
                cut_after = time.monotonic() - started
                break
    assert cut_after is not None, "nginx kept the slow client"
    assert HEADER_TIMEOUT - 0.5 <= cut_after < 2 * HEADER_TIMEOUT + 1
    time.sleep(0.5)
    assert not [x for x in proxied.app_lines() if x.get("route") == "/register.csv"]
    assert "client timed out" in (proxied.folder / "error.log").read_text()
