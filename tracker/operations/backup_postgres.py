"""PostgreSQL's part of backups and restores (tracker.operations.backup): pg_dump in a snapshot
that the manifest is read in too, and pg_restore into an empty schema of any name.

pg_dump names every object with its schema, so a dump restores into a schema of the name it
was taken from: the empty target schema takes that name while pg_restore runs (in one
transaction) and gets its own back after. pg_dump and pg_restore get the password through
their environment, never on a command line others can read.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import psycopg2
from playhouse.db_url import parseresult_to_dict

from tracker import config, db
from tracker.i18n.text import Phrase
from tracker.operations.backup import (
    POSTGRES_FILE,
    BackupError,
    Snapshot,
    quoted,
    read_snapshot,
)
from tracker.operations.restore import Undo

# The libpq connection parameters a PostgreSQL URL may carry that pg_dump and pg_restore need
# too; the search path is not among them (the schema is named to them explicitly).
LIBPQ_PARAMETERS = (
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslcrl",
    "connect_timeout",
    "application_name",
    "gssencmode",
    "target_session_attrs",
)
# pg_restore's table of contents: the schema's own entries (made by the restore's target).
SCHEMA_ENTRY = re.compile(r"^\d+; \d+ \d+ (SCHEMA|COMMENT - SCHEMA|ACL - SCHEMA) ")


def _libpq(url: str) -> tuple[dict[str, str], dict[str, str]]:
    """(connection parameters for psycopg2, libpq environment for pg_dump/pg_restore): the
    password goes in the environment, never on a command line others can read."""
    parameters = parseresult_to_dict(urlparse(url))
    # Only what libpq reads (a pooled URL may carry the pool's own settings too).
    wanted = ("database", "user", "password", "host", "port", "options", *LIBPQ_PARAMETERS)
    connect = {k: str(v) for k, v in parameters.items() if k in wanted and v not in (None, "")}
    environment = {
        "PGHOST": connect.get("host", ""),
        "PGPORT": connect.get("port", ""),
        "PGUSER": connect.get("user", ""),
        "PGPASSWORD": connect.get("password", ""),
        "PGDATABASE": connect.get("database", ""),
    }
    for name in LIBPQ_PARAMETERS:
        if name in connect:
            environment[f"PG{name.upper()}"] = connect[name]
    # libpq reads PGSSLMODE, PGCONNECT_TIMEOUT, PGAPPNAME ... under these names:
    if "PGAPPLICATION_NAME" in environment:
        environment["PGAPPNAME"] = environment.pop("PGAPPLICATION_NAME")
    return connect, {k: v for k, v in environment.items() if v}


def _postgres_connect(url: str) -> Any:
    connect, _environment = _libpq(url)
    try:
        return psycopg2.connect(**connect)
    except psycopg2.Error as error:
        raise BackupError(
            Phrase(
                "cannot open the %(database)s: %(error)s",
                database=db.describe(url),
                error=db.one_line(error),
            )
        ) from None


def _run(command: list[str], url: str) -> None:
    """Run pg_dump or pg_restore against ``url``'s server; its last complaint on failure."""
    _connect, environment = _libpq(url)
    tool = command[0]
    try:
        finished = subprocess.run(
            command,
            env={**os.environ, **environment},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        raise BackupError(
            Phrase(
                "%(tool)s is not installed: install PostgreSQL's client programs "
                "(Debian: apt-get install postgresql-client)",
                tool=tool,
            )
        ) from None
    if finished.returncode != 0:
        lines = [line for line in finished.stderr.splitlines() if line.strip()]
        raise BackupError(
            Phrase(
                "%(tool)s failed: %(error)s",
                tool=tool,
                error=lines[-1].strip() if lines else "exit status " + str(finished.returncode),
            )
        )


def snapshot(url: str, target: Path) -> Snapshot:
    """pg_dump the schema of the database at ``url`` into ``target`` (custom format), and
    read the manifest and counts in the very snapshot it dumps."""
    connection = _postgres_connect(url)
    try:
        connection.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot(), current_schema()")
            snapshot_id, schema_name = cursor.fetchone()
            if schema_name is None:
                raise BackupError(
                    Phrase(
                        "the %(database)s has no schema on its search path (the schema it "
                        "names does not exist)",
                        database=db.describe(url),
                    )
                )
            # Read in the exported snapshot, which pg_dump reads too: the same moment.
            try:
                taken = read_snapshot(cursor)
            except psycopg2.Error as error:
                raise BackupError(
                    Phrase(
                        "the %(database)s refused: %(error)s",
                        database=db.describe(url),
                        error=db.one_line(error),
                    )
                ) from None
        taken.postgres_schema = schema_name
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-password",
                f"--snapshot={snapshot_id}",
                f"--schema={quoted(schema_name)}",
                f"--file={target}",
            ],
            url,
        )
    finally:
        connection.rollback()
        connection.close()
    return taken


class Target:
    """A PostgreSQL schema to restore into (the URL's search path, else public): no tables."""

    def __init__(self, settings: config.Settings) -> None:
        self.url = settings.database_url
        self.schema = ""

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        connection = _postgres_connect(self.url)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                yield cursor
        except psycopg2.Error as error:
            raise BackupError(
                Phrase(
                    "the %(database)s refused: %(error)s",
                    database=db.describe(self.url),
                    error=db.one_line(error),
                )
            ) from None
        finally:
            connection.close()

    def check_empty(self) -> None:
        with self._cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            self.schema = cursor.fetchone()[0]
            if self.schema is None:
                raise BackupError(
                    Phrase(
                        "the %(database)s has no schema on its search path (the schema it "
                        "names does not exist)",
                        database=db.describe(self.url),
                    )
                )
            cursor.execute(
                "SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = n.oid)"
                " + (SELECT count(*) FROM pg_proc WHERE pronamespace = n.oid)"
                " FROM pg_namespace n WHERE n.nspname = %s",
                (self.schema,),
            )
            if cursor.fetchone()[0]:
                raise BackupError(
                    Phrase(
                        "the %(database)s is not empty (schema %(schema)s has tables): a "
                        "restore goes into a new, empty schema (not one made by `tracker db "
                        "upgrade`)",
                        database=db.describe(self.url),
                        schema=self.schema,
                    )
                )

    def restore(self, source: Path, metadata: dict[str, Any], undo: Undo) -> None:
        # pg_dump names every object with its schema: the objects are restored into a schema
        # of the backup's name (the target's, renamed for the while), then it takes the
        # target's name back.
        original = metadata.get("postgresql_schema")
        if not isinstance(original, str) or not original:
            raise BackupError(Phrase("the backup does not name its PostgreSQL schema"))
        dump = source / POSTGRES_FILE
        renamed = original != self.schema
        with self._cursor() as cursor:
            if renamed:
                cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (original,))
                if cursor.fetchone():
                    raise BackupError(
                        Phrase(
                            "the %(database)s already has a schema %(schema)s, the backup's "
                            "own: restore into another database, or into that schema once "
                            "it is empty",
                            database=db.describe(self.url),
                            schema=original,
                        )
                    )
                cursor.execute(f"ALTER SCHEMA {quoted(self.schema)} RENAME TO {quoted(original)}")
            try:
                with tempfile.TemporaryDirectory() as folder:
                    listing = Path(folder) / "toc.list"
                    _run(["pg_restore", "--list", f"--file={listing}", str(dump)], self.url)
                    wanted = [
                        line
                        for line in listing.read_text().splitlines()
                        if not SCHEMA_ENTRY.match(line)
                    ]
                    listing.write_text("\n".join(wanted) + "\n")
                    # One transaction: all of it or none of it.
                    _run(
                        [
                            "pg_restore",
                            "--single-transaction",
                            "--no-owner",
                            "--no-privileges",
                            "--no-password",
                            f"--use-list={listing}",
                            f"--dbname={_libpq(self.url)[0].get('database', '')}",
                            str(dump),
                        ],
                        self.url,
                    )
            finally:
                if renamed:
                    cursor.execute(
                        f"ALTER SCHEMA {quoted(original)} RENAME TO {quoted(self.schema)}"
                    )
        undo.add(self._empty)

    def _empty(self) -> None:
        """Drop what the restore made in the target schema, in one transaction."""
        connection = _postgres_connect(self.url)
        try:
            with connection.cursor() as cursor:
                target = self.schema
                cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (target,))
                for (table,) in cursor.fetchall():
                    cursor.execute(f"DROP TABLE IF EXISTS {quoted(target)}.{quoted(table)} CASCADE")
                cursor.execute(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = %s AND c.relkind = 'S'",
                    (target,),
                )
                for (sequence,) in cursor.fetchall():
                    cursor.execute(f"DROP SEQUENCE {quoted(target)}.{quoted(sequence)} CASCADE")
                cursor.execute(
                    "SELECT p.oid::regprocedure::text FROM pg_proc p"
                    " JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %s",
                    (target,),
                )
                for (function,) in cursor.fetchall():
                    cursor.execute(f"DROP FUNCTION {function} CASCADE")
            connection.commit()
        finally:
            connection.close()

    def read(self) -> Snapshot:
        with self._cursor() as cursor:
            return read_snapshot(cursor)
