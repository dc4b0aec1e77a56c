"""Evidence packs on the pages: built from the system page as of a date, listed with their state,
hashes and signing key, downloaded (whole or by range) as a zip that verifies offline; the
agency-wide pack queued from the portfolio; refused dates named beside their field; viewers see
the list only; the public register publishes the key the packs carry."""

from __future__ import annotations

import base64
import hashlib
import html
import io
import re
import zipfile
from datetime import date, timedelta

import pytest

from tests.web.conftest import csrf_token
from tracker.models import AISystem, Pack
from tracker.packs import bag, signing, verify
from tracker.reminders import jobs

CHATBOT = "Crime report chatbot"


@pytest.fixture
def chatbot(people, demo_agency) -> AISystem:
    return AISystem.get(AISystem.name == CHATBOT)


def text_of(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def packs_section(page: str) -> str:
    start = page.index('id="packs"')
    return page[page.rindex("<section", 0, start) : page.index("</section>", start)]


def fetched(client, path: str, **kwargs):
    """A download read to its end and closed (its file handle with it)."""
    response = client.get(path, **kwargs)
    response.get_data()
    response.close()
    return response


def build(client, system: AISystem, as_of: str):
    token = csrf_token(client, f"/systems/{system.id}")
    return client.post(f"/systems/{system.id}/packs", data={"as_of": as_of, "csrf_token": token})


def test_an_auditor_builds_a_pack_lists_it_and_downloads_a_zip_that_verifies(
    sign_in_as, chatbot, tmp_path
):
    auditor = sign_in_as("auditor")
    page = auditor.get(f"/systems/{chatbot.id}").text
    section = packs_section(page)
    assert "Build evidence pack" in section and "No evidence pack yet." in section
    assert f'value="{date.today().isoformat()}"' in section  # today, unless changed
    assert f'min="{chatbot.created_at.date().isoformat()}"' in section

    as_of = date.today() - timedelta(days=1)
    response = build(auditor, chatbot, as_of.isoformat())
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/systems/{chatbot.id}#packs")
    pack = Pack.get(Pack.system == chatbot.id)
    assert (pack.state, pack.as_of, pack.requested_by) == ("ready", as_of, "auditor.web")

    page = auditor.get(f"/systems/{chatbot.id}").text
    assert f"Evidence pack {pack.id} is ready to download." in page
    row = text_of(
        page[
            page.index(f'id="pack-{pack.id}"') : page.index(
                "</tr>", page.index(f'id="pack-{pack.id}"')
            )
        ]
    )
    assert "auditor.web" in row and "ready" in row
    assert pack.sha256[:12] in row and pack.sha256 in row  # shortened, the whole one on demand
    assert pack.key_id in row and str(pack.files) in row
    assert "packs.js" not in page  # nothing is being built: no polling
    download = f"/packs/{pack.id}/download"
    assert f'href="{download}"' in page

    whole = fetched(auditor, download)
    assert whole.status_code == 200
    assert whole.headers["Content-Type"] == "application/zip"
    assert pack.file_name in whole.headers["Content-Disposition"]
    digest = base64.b64encode(hashlib.sha256(whole.data).digest()).decode()
    assert whole.headers["Repr-Digest"] == f"sha-256=:{digest}:"
    assert hashlib.sha256(whole.data).hexdigest() == pack.sha256 and len(whole.data) == pack.size
    saved = tmp_path / pack.file_name
    saved.write_bytes(whole.data)
    report = verify.check(saved)
    assert report.ok, report.problems

    # An interrupted download resumes from where it stopped.
    part = fetched(auditor, download, headers={"Range": "bytes=100-1123"})
    assert part.status_code == 206
    assert part.data == whole.data[100:1124]
    assert part.headers["Content-Range"] == f"bytes 100-1123/{pack.size}"
    rest = fetched(auditor, download, headers={"Range": f"bytes={pack.size - 10}-"})
    assert rest.status_code == 206 and rest.data == whole.data[-10:]


def test_a_viewer_sees_the_list_but_can_neither_build_nor_download(sign_in_as, chatbot):
    assert build(sign_in_as("legal"), chatbot, "").status_code == 302  # empty date: today
    pack = Pack.get(Pack.system == chatbot.id)
    assert pack.as_of == date.today()
    viewer = sign_in_as("viewer")
    section = packs_section(viewer.get(f"/systems/{chatbot.id}").text)
    assert f'id="pack-{pack.id}"' in section and pack.key_id in section
    assert "Build evidence pack" not in section and "<form" not in section
    assert "/download" not in section
    assert viewer.get(f"/packs/{pack.id}/download").status_code == 403
    token = csrf_token(viewer, f"/systems/{chatbot.id}")
    refused = viewer.post(f"/systems/{chatbot.id}/packs", data={"csrf_token": token})
    assert refused.status_code == 403
    assert viewer.post("/packs", data={"csrf_token": token}).status_code == 403
    assert Pack.select().count() == 1
    # what the page polls is readable by anyone who sees the list
    assert viewer.get(f"/packs/{pack.id}.json").json == {
        "id": pack.id,
        "state": "ready",
        "state_text": "ready",
        "progress": 100,
        "progress_text": "100%",
        "pending": False,
    }


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1 March", "The pack's date must be a date such as"),
        ("2026-02-30", "The pack's date must be a date such as"),
        ("tomorrow", "The pack's date must be a date such as"),
        ("future", "The pack's date cannot be in the future"),
        ("before", "when the system was registered"),
    ],
)
def test_a_bad_date_is_refused_beside_its_field(sign_in_as, chatbot, typed, message):
    typed = {
        "future": (date.today() + timedelta(days=1)).isoformat(),
        "before": (chatbot.created_at.date() - timedelta(days=1)).isoformat(),
    }.get(typed, typed)
    dpo = sign_in_as("dpo")
    response = build(dpo, chatbot, typed)
    assert response.status_code == 422
    section = packs_section(response.text)
    error = re.search(
        r'<p class="field-error" id="as_of-error" role="alert">(.*?)</p>', section, re.S
    )
    assert error and message in html.unescape(error.group(1))
    assert 'aria-invalid="true" aria-describedby="as_of-error"' in section
    assert f'value="{typed}"' in section  # what was typed, to correct
    assert Pack.select().count() == 0


def test_a_failed_pack_shows_its_error_and_offers_no_download(sign_in_as, chatbot):
    failed = Pack.create(
        system=chatbot, as_of=date.today(), requested_by="dpo.web", state="failed",
        error="No space left on device",
    )  # fmt: skip
    auditor = sign_in_as("auditor")
    section = packs_section(auditor.get(f"/systems/{chatbot.id}").text)
    row = text_of(section[section.index(f'id="pack-{failed.id}"') :])
    assert "failed" in row and "No space left on device" in row
    assert f"/packs/{failed.id}/download" not in section
    assert auditor.get(f"/packs/{failed.id}/download").status_code == 409


def test_a_pack_whose_file_is_gone_says_to_build_it_again(sign_in_as, chatbot, settings):
    auditor = sign_in_as("auditor")
    build(auditor, chatbot, "")
    pack = Pack.get(Pack.system == chatbot.id)
    (settings.pack_dir / pack.file_name).unlink()
    gone = auditor.get(f"/packs/{pack.id}/download")
    assert gone.status_code == 410 and "build the pack again" in gone.text


def test_the_agency_wide_pack_is_queued_from_the_portfolio_and_followed(
    sign_in_as, people, demo_agency, settings
):
    queue = jobs.queue(settings)
    queue.empty()
    dpo = sign_in_as("dpo")
    portfolio = dpo.get("/portfolio").text
    section = packs_section(portfolio)
    assert "Build the agency-wide pack" in section and "No evidence pack yet." in section
    token = csrf_token(dpo, "/portfolio")
    response = dpo.post("/packs", data={"as_of": date.today().isoformat(), "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/portfolio#packs")
    pack = Pack.get(Pack.system.is_null())
    try:
        assert pack.state == "queued"  # the worker builds it
        assert queue.count == 1 and queue.jobs[0].args == (pack.id,)
        portfolio = dpo.get("/portfolio").text
        assert f"Evidence pack {pack.id} is being built" in portfolio
        section = packs_section(portfolio)
        assert f'data-pack-status="/packs/{pack.id}.json"' in section and "queued" in section
        assert "packs.js" in portfolio  # the page follows it
        Pack.update(state="building", done=1, total=4).where(Pack.id == pack.id).execute()
        status = dpo.get(f"/packs/{pack.id}.json").json
        assert (status["state"], status["progress"], status["pending"]) == ("building", 25, True)
        assert 'value="25"' in packs_section(dpo.get("/portfolio").text)
        # a bad date is refused by name, and nothing is queued
        dpo.post("/packs", data={"as_of": "someday", "csrf_token": token})
        assert "The pack's date must be a date such as" in html.unescape(dpo.get("/portfolio").text)
        assert Pack.select().count() == 1 and queue.count == 1
    finally:
        queue.empty()
    # the system page lists the system's own packs only
    chatbot = AISystem.get(AISystem.name == CHATBOT)
    assert f'id="pack-{pack.id}"' not in packs_section(dpo.get(f"/systems/{chatbot.id}").text)


def test_the_public_register_publishes_the_key_the_packs_carry(
    client, sign_in_as, chatbot, tmp_path
):
    build(sign_in_as("auditor"), chatbot, "")
    pack = Pack.get(Pack.system == chatbot.id)
    published = client.get("/register/pack-signing-key.pem")
    assert published.status_code == 200 and published.mimetype == "text/plain"
    with zipfile.ZipFile(
        io.BytesIO(fetched(sign_in_as("auditor"), f"/packs/{pack.id}/download").data)
    ) as archive:
        root = archive.namelist()[0].split("/", 1)[0]
        inside = archive.read(f"{root}/{bag.PUBLIC_KEY}").decode()
    assert published.text == inside
    assert signing.key_id(signing.load_public(published.text)) == pack.key_id
    assert published.headers["X-Pack-Key-Id"] == pack.key_id
    about = client.get("/register/about").text  # no sign-in
    assert 'id="pack-key"' in about and pack.key_id in about
    assert html.escape(inside.splitlines()[1]) in about
    assert 'href="/register/pack-signing-key.pem"' in about
