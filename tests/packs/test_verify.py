"""``pack verify`` catches every change: a file altered, removed or added, a bad signature, a
key other than the agency's, and an audit excerpt that no longer chains, even when whoever
changed it re-signed the pack with the agency's own key."""

from __future__ import annotations

import hashlib
import json
import subprocess
import zipfile
from datetime import date

import pytest

from tests.packs.conftest import re_sign, read_members, write_members
from tracker import audit
from tracker.audit import keys as audit_keys
from tracker.packs import excerpt, signing, verify

TODAY = date.today()
EVIDENCE_CSV = "data/evidence.csv"


@pytest.fixture
def pack(face_search, build_pack):
    return build_pack(face_search, TODAY)


@pytest.fixture
def key(settings) -> signing.PackKey:
    return signing.key_for(settings, create=True)


def tampered(pack, change, key=None):
    root, members = read_members(pack)
    change(members)
    if key is not None:
        re_sign(members, key)
    write_members(pack, root, members)
    return verify.check(pack)


def test_an_untouched_pack_verifies(pack, key):
    report = verify.check(pack, key.public_pem.encode())
    assert report.ok, report.problems
    assert report.key_id == key.key_id and report.files > 10


def evidence_file(members) -> str:
    return next(n for n in members if n.startswith("data/evidence/") and n.endswith(".pdf"))


def test_an_altered_file_is_named(pack):
    names = []

    def alter(members):
        names.append(evidence_file(members))
        members[names[0]] = members[names[0]] + b"%% appended"

    assert tampered(pack, alter).problems == [f"altered: {names[0]}"]


def test_a_removed_file_is_named(pack):
    names = []

    def remove(members):
        names.append(evidence_file(members))
        del members[names[0]]

    assert tampered(pack, remove).problems == [f"removed: {names[0]}"]


def test_an_added_file_is_named(pack):
    def add(members):
        members["data/evidence/extra/backdated-dpia.pdf"] = b"%PDF-1.4 forged"

    assert tampered(pack, add).problems == ["added: data/evidence/extra/backdated-dpia.pdf"]


def test_a_changed_manifest_breaks_the_signature(pack):
    def hide(members):
        name = evidence_file(members)
        members[name] = b"swapped"
        lines = members["manifest-sha256.txt"].decode().splitlines()
        fixed = [
            f"{hashlib.sha256(b'swapped').hexdigest()}  {name}"
            if line.endswith(f"  {name}")
            else line
            for line in lines
        ]
        members["manifest-sha256.txt"] = ("\n".join(fixed) + "\n").encode()

    problems = tampered(pack, hide).problems
    assert problems == ["altered: manifest-sha256.txt"]


def test_a_tampered_signature_is_caught(pack):
    def flip(members):
        signature = bytearray(members["tagmanifest-sha256.txt.sig"])
        signature[0] ^= 1
        members["tagmanifest-sha256.txt.sig"] = bytes(signature)

    assert tampered(pack, flip).problems == [
        "bad signature: tagmanifest-sha256.txt.sig does not verify tagmanifest-sha256.txt"
    ]


def test_a_pack_re_signed_with_another_key_is_not_the_agencys(pack, key):
    other = signing.PackKey.from_pem(signing.generate_pem(), "test")

    def swap_key(members):
        members["pack-public-key.pem"] = other.public_pem.encode()
        members[EVIDENCE_CSV] = members[EVIDENCE_CSV] + b"forged,row\n"

    root, members = read_members(pack)
    swap_key(members)
    write_members(pack, root, re_sign(members, other))
    assert verify.check(pack).ok  # consistent in itself...
    report = verify.check(pack, key.public_pem.encode())
    assert report.problems == [  # ...but not signed by the agency
        f"signed with key {other.key_id}, not with the agency's key {key.key_id}"
    ]


def events_of(members) -> list[dict]:
    return [json.loads(line) for line in members["data/audit/events.jsonl"].decode().splitlines()]


def put_events(members, events) -> None:
    text = "".join(json.dumps(e, sort_keys=True) + "\n" for e in events)
    members["data/audit/events.jsonl"] = text.encode()


def test_an_altered_audit_event_is_caught_even_when_re_signed(pack, key):
    changed = []

    def rewrite_history(members):
        events = events_of(members)
        event = next(e for e in events if e["action"] == "system.created")
        event["actor"] = "someone.else"
        changed.append(event["id"])
        put_events(members, events)

    report = tampered(pack, rewrite_history, key)
    assert report.problems == [f"audit event {changed[0]} was altered: its hash does not match"]


def test_an_audit_event_taken_out_of_the_chain_is_caught(pack, key):
    cut = []

    def drop_link(members):
        lines = members["data/audit/chain.tsv"].decode().splitlines(keepends=True)
        cut.append(int(lines[2].split("\t")[0]))
        members["data/audit/chain.tsv"] = "".join(lines[:2] + lines[3:]).encode()

    report = tampered(pack, drop_link, key)
    assert (
        f"audit/chain.tsv: event {cut[0] + 1} does not follow event {cut[0] - 1} in the chain"
        in (report.problems)
    )


def test_an_audit_event_with_a_forged_hash_is_not_in_the_chain(pack, key):
    forged = []

    def forge(members):
        events = events_of(members)
        events[-1]["hash"] = "f" * 64
        forged.append(events[-1]["id"])
        put_events(members, events)

    report = tampered(pack, forge, key)
    assert report.problems == [f"audit event {forged[0]} is not in the chain as recorded"]


@pytest.fixture
def keyed_chain(settings, face_search):
    """An audit key and a signed checkpoint, as a production agency runs."""
    secret = audit_keys.generate()
    audit_keys.write_key_file(settings.audit_key_file, [secret])
    audit_keys.configure(settings)
    try:
        audit.checkpoint("test")
        yield audit_keys.current()
    finally:
        audit_keys.configure(None)


def test_a_keyed_chain_is_anchored_to_a_signed_checkpoint(keyed_chain, face_search, build_pack):
    pack = build_pack(face_search, TODAY)
    report = verify.check(pack)
    assert report.ok, report.problems
    assert any("chains to signed audit checkpoint 1" in note for note in report.notes)


def test_a_forged_checkpoint_is_caught(keyed_chain, face_search, build_pack, key):
    pack = build_pack(face_search, TODAY)

    def forge(members):
        anchor = json.loads(members[excerpt.ANCHOR])
        anchor["checkpoint"]["events"] += 1
        members[excerpt.ANCHOR] = json.dumps(anchor).encode()

    report = tampered(pack, forge, key)
    assert report.problems == ["the signature of audit checkpoint 1 does not verify"]


def readme_commands(members) -> list[str]:
    """The shell commands the pack's README gives the auditor, after the unzip."""
    lines = members["README.txt"].decode().splitlines()
    commands = [line.strip() for line in lines if line.startswith("     ")]
    return [c for c in commands if not c.startswith(("unzip", "tracker "))]


def test_the_readme_commands_check_the_pack_with_standard_tools(pack, tmp_path):
    root, members = read_members(pack)
    zipfile.ZipFile(pack).extractall(tmp_path / "out")
    bag_dir = tmp_path / "out" / root
    commands = readme_commands(members)
    assert [c.split()[0] for c in commands] == ["sha256sum", "sha256sum", "find", "openssl"]
    for command in commands:
        ran = subprocess.run(command, shell=True, cwd=bag_dir, capture_output=True, text=True)
        assert ran.returncode == 0, (command, ran.stdout, ran.stderr)
    assert "Signature Verified Successfully" in ran.stdout

    (bag_dir / "data" / "events.json").write_text("[]\n")
    (bag_dir / "data" / "planted.pdf").write_bytes(b"%PDF")
    altered = subprocess.run(commands[0], shell=True, cwd=bag_dir, capture_output=True, text=True)
    assert altered.returncode != 0 and "data/events.json: FAILED" in altered.stdout
    added = subprocess.run(commands[2], shell=True, cwd=bag_dir, capture_output=True, text=True)
    assert added.returncode != 0 and "data/planted.pdf" in added.stdout
