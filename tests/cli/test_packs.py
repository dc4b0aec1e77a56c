"""``tracker pack``: build a system's or the agency's pack, list, verify offline, keys."""

from __future__ import annotations

import zipfile
from datetime import date, timedelta

from tracker.models import Pack
from tracker.packs import signing

TODAY = date.today()


def test_a_system_pack_is_built_by_id_or_name_and_verifies(runner, demo_agency, tmp_path):
    out = tmp_path / "face-search.zip"
    built = runner.tracker("pack", "Post-event face search", "--out", str(out))
    assert built.exit_code == 0, built.output
    pack = Pack.get()
    assert f"Pack {pack.id} written to {out}" in built.output
    assert pack.sha256 in built.output and pack.key_id in built.output
    checked = runner.tracker("pack", "verify", str(out))
    assert checked.exit_code == 0, checked.output
    assert f"OK: {pack.files} files match the manifest" in checked.output

    by_id = runner.tracker("pack", str(pack.system_id), "--as-of", str(TODAY - timedelta(days=7)))
    assert by_id.exit_code == 0, by_id.output
    newest = Pack.select().order_by(Pack.id.desc()).get()
    assert newest.file_name and (tmp_path / "packs" / newest.file_name).is_file()
    listed = runner.tracker("pack", "list", str(pack.system_id)).output.splitlines()
    assert [line.split()[0] for line in listed] == [str(newest.id), str(pack.id)]


def test_verify_exits_non_zero_naming_what_changed(runner, demo_agency, tmp_path):
    out = tmp_path / "pack.zip"
    runner.tracker("pack", "1", "--out", str(out))
    altered = tmp_path / "altered.zip"
    with zipfile.ZipFile(out) as source, zipfile.ZipFile(altered, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith("data/system/profile.json"):
                data = b"{}\n"
            target.writestr(info, data)
    result = runner.tracker("pack", "verify", str(altered))
    assert result.exit_code == 1
    assert "PROBLEM: altered: data/system/profile.json" in result.output


def test_verify_checks_the_agencys_published_key(runner, demo_agency, tmp_path, settings):
    out = tmp_path / "pack.zip"
    runner.tracker("pack", "1", "--out", str(out))
    published = tmp_path / "agency.pem"
    published.write_text(runner.tracker("pack", "public-key").output)
    assert runner.tracker("pack", "verify", str(out), "--public-key", str(published)).exit_code == 0
    stranger = tmp_path / "stranger.pem"
    stranger.write_text(signing.PackKey.from_pem(signing.generate_pem(), "t").public_pem)
    result = runner.tracker("pack", "verify", str(out), "--public-key", str(stranger))
    assert result.exit_code == 1 and "not with the agency's key" in result.output


def test_the_agency_pack(runner, demo_agency, tmp_path):
    out = tmp_path / "all.zip"
    result = runner.tracker("pack", "--all", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert Pack.get().system_id is None
    assert runner.tracker("pack", "verify", str(out)).exit_code == 0


def test_bad_input_gets_a_plain_message(runner, demo_agency, tmp_path):
    neither = runner.tracker("pack", "build")
    assert neither.exit_code == 2 and "give a SYSTEM (id or name) or --all" in neither.output
    both = runner.tracker("pack", "1", "--all")
    assert both.exit_code == 2 and "not both or neither" in both.output
    unknown = runner.tracker("pack", "No such system")
    assert unknown.exit_code == 1 and "No such system" in unknown.output
    early = runner.tracker("pack", "1", "--as-of", "2001-01-01", "--out", str(tmp_path / "x.zip"))
    assert early.exit_code == 1 and "not registered by then" in early.output
    assert not (tmp_path / "x.zip").exists() and not (tmp_path / ".x.zip.part").exists()
    assert Pack.get().state == "failed"
    missing = runner.tracker("pack", "verify", str(tmp_path / "nowhere.zip"))
    assert missing.exit_code == 2 and "does not exist" in missing.output
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    result = runner.tracker("pack", "verify", str(junk))
    assert result.exit_code == 1 and "not a readable zip file" in result.output


def test_the_signing_key_is_made_once_and_never_replaced(runner, migrated, settings):
    made = runner.tracker("pack", "generate-key")
    assert made.exit_code == 0, made.output
    key = signing.key_for(settings)
    assert f"Pack signing key {key.key_id} written to" in made.output
    again = runner.tracker("pack", "generate-key")
    assert again.exit_code == 1 and "never overwritten" in again.output
    assert signing.key_for(settings).key_id == key.key_id
    assert runner.tracker("pack", "public-key").output.strip() == key.public_pem.strip()


def test_without_a_key_public_key_says_how_to_make_one(runner, migrated):
    result = runner.tracker("pack", "public-key")
    assert result.exit_code == 1 and "tracker pack generate-key" in result.output
