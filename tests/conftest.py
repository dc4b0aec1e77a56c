"""Shared fixtures: real databases (SQLite and PostgreSQL), the app, its client and the CLI runner.

Every test that takes ``app``, ``client``, ``runner`` or ``database_url`` runs
twice, once per database backend, against a fresh, fully migrated database.
"""

from __future__ import annotations

import fcntl
import importlib.util
import itertools
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import peewee
import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner

from tests import services as test_services
from tests.demo_snapshot import DemoSnapshots
from tracker import accounts, config, db, i18n, schema, sign_in
from tracker.app import create_app
from tracker.cli import main as tracker_cli
from tracker.territory import Deployment

BACKENDS = ["sqlite", "postgres"]
# The tests' agency works in Belgium; the deployment answers that CETS 225 binds it from the
# EU's ratification (as the demo agency does).
DEPLOYMENT = Deployment(("BE",), {"coe-cets225": date(2026, 5, 15)})
_schema_numbers = itertools.count()
# argon2id as the app hashes passwords, at the least cost argon2 allows (one pass over 8 KiB, one
# lane) instead of the app's (three passes over 64 MiB in four lanes: a tenth of a second or more
# a hash or a check on two cores, and half the time of the web tests, which give five people a
# password each and sign in; profiled).
QUICK_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(scope="session")
def services() -> Iterator[test_services.Services]:
    running = test_services.Services()
    try:
        running.start()
    except (test_services.ServiceUnavailable, OSError) as error:
        pytest.exit(f"cannot run the tests: {error}", returncode=3)
    yield running
    running.stop()


def _postgres_schema_url(base_url: str, name: str) -> str:
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}options=-csearch_path%3D{name}"


@pytest.fixture(params=BACKENDS)
def database_url(request, services, tmp_path) -> Iterator[str]:
    """An empty database on each backend: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tracker.db'}"
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"tracker_test_{worker}_{os.getpid()}_{next(_schema_numbers)}"
    admin = db.open_database(services.postgres_url)
    admin.execute_sql(f'CREATE SCHEMA "{name}"')
    try:
        yield _postgres_schema_url(services.postgres_url, name)
    finally:
        if db.database.obj is not None and not db.database.is_closed():
            db.database.close()
        admin.execute_sql(f'DROP SCHEMA "{name}" CASCADE')
        admin.close()


@pytest.fixture
def settings(database_url, tmp_path, services) -> config.Settings:
    return config.Settings(
        env="testing",
        data_dir=tmp_path,
        database_url=database_url,
        # the worker's own Redis database: what a test queues never reaches another's
        redis_url=test_services.redis_url_for_this_worker(services.redis_url),
        evidence_dir=tmp_path / "evidence-store",
        max_upload_bytes=4 * 1024 * 1024,
        agency_countries=DEPLOYMENT.countries,
        binding=dict(DEPLOYMENT.binding),
    ).validated()


@pytest.fixture
def migrated(settings) -> Iterator[peewee.Database]:
    """The bound, migrated database, connected for the test's own queries."""
    database = db.bind(settings.database_url)
    with database.connection_context():
        schema.upgrade(database)
    database.connect(reuse_if_open=True)
    yield database
    if not database.is_closed():
        database.close()


@pytest.fixture
def app(settings, migrated):
    return create_app(settings)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(settings, migrated) -> CliRunner:
    """Runs ``tracker`` commands against the test database and store."""
    env = {
        "TRACKER_ENV": "testing",
        "TRACKER_DATA_DIR": str(settings.data_dir),
        "TRACKER_DATABASE_URL": settings.database_url,
        "TRACKER_EVIDENCE_DIR": str(settings.evidence_dir),
        "TRACKER_AGENCY_COUNTRIES": ",".join(settings.agency_countries),
        "TRACKER_BINDING": ",".join(f"{k}={v}" for k, v in settings.binding.items()),
    }

    class Runner(CliRunner):
        def tracker(self, *args: str, **kwargs):
            result = self.invoke(tracker_cli, list(args), env=env, catch_exceptions=False, **kwargs)
            migrated.connect(reuse_if_open=True)
            return result

    return Runner()


@pytest.fixture
def tokens(migrated) -> dict[str, str]:
    """One user per role, each with a token: {role: secret}."""
    secrets = {}
    for role in ("admin", "legal", "dpo", "auditor", "viewer"):
        user = accounts.create_user(
            f"{role}-user",
            role,
            "test-setup",
            full_name=f"{role.title()} User",
            email=f"{role}-user@police.example",
        )
        secrets[role] = accounts.issue_token(user, "tests", "test-setup")[1]
    return secrets


@pytest.fixture
def auth(tokens):
    """``auth("legal")`` -> the Authorization header for that role."""
    return lambda role: {"Authorization": f"Bearer {tokens[role]}"}


@pytest.fixture
def samples() -> Path:
    return Path(__file__).parent / "samples"


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The app behind a real HTTP server on a free local port; yields its base URL."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join()


PLUGIN_PACKAGES = Path(__file__).parent / "plugin_packages"


PLUGIN_PACKAGE_NAMES = (
    "example_jurisdiction",
    "broken_plugins",
    "takeover_plugin",
    "api_range_plugins",
    "example_jurisdiction_v2",
)


def _pip_install(package: Path, target: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "--target",
        str(target),
        str(package),
    ]


def install_package(package: Path, target: Path) -> None:
    """pip-install a package (with its entry points) into a folder: offline, no dependencies."""
    subprocess.run(_pip_install(package, target), check=True, capture_output=True)


@pytest.fixture(scope="session")
def plugin_packages(tmp_path_factory, worker_id) -> dict[str, Path]:
    """The test plugin packages, each pip-installed (with its entry points) into its own folder.

    Installed once per run, all at once, by the first xdist worker that needs them: the others
    wait for it and use the same folders (the tests only read them)."""
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent  # this run's folder, shared by its workers
    folder = root / "plugin-packages"
    installed = {package: folder / package for package in PLUGIN_PACKAGE_NAMES}
    with open(root / "plugin-packages.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "installed").exists():
            shutil.rmtree(folder, ignore_errors=True)
            pips = [
                subprocess.Popen(
                    _pip_install(PLUGIN_PACKAGES / package, target),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                )
                for package, target in installed.items()
            ]
            for pip, package in zip(pips, installed, strict=True):
                output = pip.communicate()[0].decode(errors="replace")
                if pip.returncode:
                    raise RuntimeError(f"pip could not install {package}:\n{output}")
            (folder / "installed").touch()
    return installed


@pytest.fixture
def install_plugin(plugin_packages, monkeypatch):
    """``install_plugin("example_jurisdiction")`` makes that package's entry points visible."""

    def install(name: str) -> None:
        monkeypatch.syspath_prepend(str(plugin_packages[name]))

    return install


@pytest.fixture
def demo():
    """The demo-data script (scripts/demo_data.py) as a module."""
    path = Path(__file__).parent.parent / "scripts" / "demo_data.py"
    spec = importlib.util.spec_from_file_location("demo_data", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def demo_snapshots(services, tmp_path_factory) -> Iterator[DemoSnapshots]:
    """The demo agency seeded once per process (per backend, UTC hour...) for ``demo_agency``."""
    snapshots = DemoSnapshots(
        tmp_path_factory.mktemp("demo-snapshots"),
        services.postgres_url,
        lambda name: _postgres_schema_url(services.postgres_url, name),
    )
    yield snapshots
    snapshots.drop()


@pytest.fixture
def demo_agency(demo, settings, migrated, demo_snapshots) -> None:
    """The demo agency's year in the test's database and evidence store, as ``demo.seed(settings)``
    leaves it there, copied from a snapshot seeded earlier in the same UTC hour (its few events
    dated from the seed's very moment are up to that much older; tests/demo_snapshot.py).

    Like the seed, it goes on top of what the database holds when it runs, which must be nothing
    or the ``people``: request it after ``people`` where the people come first, and as the last
    argument where the seed came last.
    """
    demo_snapshots.copy_into(settings, demo)


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch) -> None:
    """Passwords hashed and checked by the app's own code, with argon2id at its least cost (a
    hash made at the app's cost is still checked at that cost). The unknown user's dummy hash
    is made the same way, so an unknown username still costs what a known one does."""
    monkeypatch.setattr(sign_in, "_hasher", QUICK_HASHER)
    monkeypatch.setattr(sign_in, "_UNKNOWN_USER_HASH", QUICK_HASHER.hash("no such user"))


@pytest.fixture(autouse=True)
def no_language_leaks() -> Iterator[None]:
    """A request, a command or an e-mail sets its reader's language only while it runs: a test
    that leaves another language current has found a leak (the next caller would inherit it)."""
    yield
    assert i18n.current_language() == i18n.DEFAULT_LANGUAGE, "a language was left current"
