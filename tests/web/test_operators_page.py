"""A system's operators in the browser: add, edit the dates, remove, import from CSV."""

from __future__ import annotations

import base64
import io
import re
from datetime import date, datetime

import pytest

from tests.factories import profile
from tests.web.conftest import csrf_token
from tracker import register
from tracker.models import AISystem, AuditEvent, Operator


@pytest.fixture
def system(app, people) -> AISystem:
    return register.create_system(profile(), "test", app.extensions["tracker"].catalogue)


def url(system: AISystem, rest: str = "") -> str:
    return f"/systems/{system.id}/operators{rest}"


def test_adding_an_operator_with_dates_then_changing_them_and_removing_them(sign_in_as, system):
    legal = sign_in_as("legal")
    page = legal.get(url(system)).text
    assert "No authorised operators yet." in page and 'id="authorised_from"' in page
    added = legal.post(
        url(system),
        data={
            "csrf_token": csrf_token(legal, url(system)),
            "name": "Ana Duarte",
            "email": "ana@police.example",
            "unit": "Forensics",
            "authorised_from": "2026-01-05",
            "authorised_until": "",
        },
    )
    assert added.status_code == 302 and added.location.endswith(url(system, "#current"))
    ana = Operator.get(Operator.email == "ana@police.example")
    assert ana.added_at == datetime(2026, 1, 5) and ana.removed_at is None
    page = legal.get(url(system)).text
    row = page[page.index(f'id="operator-{ana.id}"') :]
    assert "Ana Duarte" in row and "5 Jan 2026" in row and "until removed" in row
    # The post-event face search asks for operators' training certificates: shown per operator.
    assert re.search(r'class="status s-missing">missing</span>', row)

    edit = url(system, f"/{ana.id}/edit")
    form = legal.get(edit).text
    assert 'value="2026-01-05"' in form
    changed = legal.post(
        edit,
        data={
            "csrf_token": csrf_token(legal, edit),
            "name": "Ana Duarte",
            "email": "ana@police.example",
            "unit": "Forensics",
            "authorised_from": "2026-02-01",
            "authorised_until": "2099-12-31",
        },
    )
    assert changed.status_code == 302
    ana = Operator.get_by_id(ana.id)
    assert ana.added_at == datetime(2026, 2, 1) and register.last_day(ana) == date(2099, 12, 31)
    event = AuditEvent.get(AuditEvent.action == "operator.updated")
    assert event.actor == "legal.web"

    remove = url(system, f"/{ana.id}/remove")
    asked = legal.get(remove)
    assert asked.status_code == 200 and "Remove Ana Duarte as an operator of" in asked.text
    assert Operator.get_by_id(ana.id).removed_at.year == 2100  # asking changes nothing
    done = legal.post(remove, data={"csrf_token": csrf_token(legal, remove)})
    assert done.status_code == 302
    assert register.has_ended(Operator.get_by_id(ana.id))
    page = legal.get(url(system)).text
    assert "No authorised operators yet." in page and "Removed or ended (1)" in page


def test_a_refused_operator_keeps_the_values_and_shows_each_error(sign_in_as, system):
    dpo = sign_in_as("dpo")
    response = dpo.post(
        url(system),
        data={
            "csrf_token": csrf_token(dpo, url(system)),
            "name": "",
            "email": "not-an-email",
            "unit": "Patrol",
            "authorised_from": "2026-03-01",
            "authorised_until": "2026-02-01",
        },
    )
    assert response.status_code == 422
    for name in ("name", "email"):
        assert f'id="{name}-error"' in response.text, name
    assert 'value="Patrol"' in response.text and 'value="2026-03-01"' in response.text
    backwards = dpo.post(
        url(system),
        data={
            "csrf_token": csrf_token(dpo, url(system)),
            "name": "Cy Moss",
            "email": "cy@police.example",
            "authorised_from": "2026-03-01",
            "authorised_until": "2026-02-01",
        },
    )
    assert backwards.status_code == 422 and 'id="authorised_until-error"' in backwards.text
    assert "Must be on or after the first day of the authorisation." in backwards.text
    assert Operator.select().count() == 0
    edit = dpo.post(
        url(system, "/1/edit"),
        data={"csrf_token": csrf_token(dpo, url(system)), "name": "x", "email": "x@y.example"},
    )
    assert edit.status_code == 404


def test_readers_see_operators_and_cannot_change_them(sign_in_as, system):
    register.add_operator(system, {"name": "Bo Lind", "email": "bo@police.example"}, "test")
    viewer = sign_in_as("viewer")
    page = viewer.get(url(system))
    assert page.status_code == 200 and "Bo Lind" in page.text
    assert "Add an operator" not in page.text and "/remove" not in page.text
    token = csrf_token(viewer, url(system))
    assert viewer.post(url(system), data={"csrf_token": token, "name": "x"}).status_code == 403
    assert viewer.get(url(system, "/1/remove")).status_code == 403
    assert viewer.post(url(system, "/import"), data={"csrf_token": token}).status_code == 403
    assert Operator.select().count() == 1


OPERATORS_CSV = (
    "\ufeffName;E-mail;Unit;authorised_from;authorised_until\r\n"
    "Ana Duarte;ana@police.example;Forensics;2026-01-05;\r\n"
    "\r\n"
    "Bo Lind;bo@police.example;Patrol;;\r\n"
).encode()


def check(client, system, data: bytes):
    return client.post(
        url(system, "/import"),
        data={
            "csrf_token": csrf_token(client, url(system)),
            "action": "check",
            "file": (io.BytesIO(data), "operators.csv"),
        },
        content_type="multipart/form-data",
    )


def test_an_operator_import_dry_run_writes_nothing_then_imports_every_row(sign_in_as, system):
    register.add_operator(system, {"name": "Bo Lind", "email": "BO@police.example"}, "test")
    legal = sign_in_as("legal")
    page = legal.get(url(system)).text
    assert url(system, "/template.csv") in page
    template = legal.get(url(system, "/template.csv"))
    assert template.text.lstrip("\ufeff").startswith("name,email,unit,authorised_from")
    checked = check(legal, system, OPERATORS_CSV)
    assert checked.status_code == 200
    html = checked.text
    assert "1 to add" in html and "1 to update" in html and "Nothing has been written yet." in html
    assert "would be added" in html and "would be updated" in html
    assert "5 Jan 2026" in html and "until removed" in html  # the dates as they were read
    assert "<code>unit</code>:  → Patrol" in html or "<code>unit</code>: — → Patrol" in html
    assert "Import 2 operators" in html
    assert Operator.select().count() == 1
    content = re.search(r'name="content" value="([^"]+)"', html).group(1)
    done = legal.post(
        url(system, "/import"),
        data={
            "csrf_token": csrf_token(legal, url(system)),
            "action": "import",
            "content": content,
            "filename": "operators.csv",
        },
    )
    assert done.status_code == 302 and done.location.endswith(url(system))
    assert sorted((o.name, o.unit) for o in Operator.select()) == [
        ("Ana Duarte", "Forensics"),
        ("Bo Lind", "Patrol"),
    ]
    assert "1 operators added, 1 updated" in legal.get(url(system)).text


def test_an_operator_import_with_errors_lists_every_row_and_writes_nothing(sign_in_as, system):
    legal = sign_in_as("legal")
    bad = OPERATORS_CSV.replace(b"ana@police.example", b"ana-at-police").replace(
        b"Patrol;;", b"Patrol;soon;"
    )
    checked = check(legal, system, bad)
    assert checked.status_code == 422
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td><code>(\w+)</code></td>', checked.text)
    assert rows == [("2", "email"), ("4", "authorised_from")]
    assert "2 of 2 rows have errors" in checked.text and 'name="content"' not in checked.text
    forced = legal.post(
        url(system, "/import"),
        data={
            "csrf_token": csrf_token(legal, url(system)),
            "action": "import",
            "content": base64.b64encode(bad).decode(),
        },
    )
    assert forced.status_code == 422 and Operator.select().count() == 0
    assert AuditEvent.select().where(AuditEvent.action == "operator.added").count() == 0
