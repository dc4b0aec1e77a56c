"""Registering a system, its operators and a register import in a real browser, at desktop
and phone width: screenshots of each page, and no page scrolls sideways at 375 px."""

from __future__ import annotations

import re

import pytest

from tests.browser.checks import serious_violations, sign_in
from tracker.models import AISystem, Operator

WIDTHS = (1366, 375)


@pytest.fixture
def base(people, live_server) -> str:
    return live_server


WIDE = """() => {
  const width = document.documentElement.clientWidth;
  const inScroll = (el) => el.closest('.scroll') && !el.classList.contains('scroll');
  return [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > width + 1 && !inScroll(el))
    .slice(0, 5)
    .map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${el.className}`);
}"""


def wide_elements(page) -> list[str]:
    """The first elements reaching past the right edge (outside a .scroll wrapper)."""
    return page.evaluate(WIDE)


def at_each_width(page, screenshot, name: str) -> None:
    """Screenshots at desktop and phone width; at phone width nothing scrolls sideways; axe
    finds nothing serious."""
    assert serious_violations(page) == [], name
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(f"{name}-{width}")
        if width < 400:
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, (
                f"{name} scrolls sideways at {width} px by {overflow} px: {wide_elements(page)}"
            )
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def test_a_legal_officer_registers_a_system_and_adds_operators(
    page, base, people, screenshot, tmp_path
):
    sign_in(page, base, people["legal"], "/systems/new")
    at_each_width(page, screenshot, "system-new")
    page.locator("#name").fill("Licence plate reader")
    page.locator("#purpose").fill("Reads licence plates at motorway gantries.")
    page.locator("#development_approach").select_option("off_the_shelf")
    page.locator("#lifecycle_stage").select_option("testing")
    page.locator("#purpose_type").select_option("law_enforcement")
    page.locator("#processes_personal_data").check()
    page.get_by_label("Deployer (uses it under its authority)").check()
    page.get_by_role("button", name="Register the system").click()
    # The risk level was left unchosen: the form comes back with the message beside it.
    error = page.locator("#risk_level-error")
    assert error.inner_text() == "Choose one."
    assert page.locator("#name").input_value() == "Licence plate reader"
    at_each_width(page, screenshot, "system-new-errors")
    page.locator("#risk_level").select_option("high")
    page.get_by_role("button", name="Register the system").click()
    page.wait_for_url(re.compile(r".*/systems/\d+$"))
    system = AISystem.get(AISystem.name == "Licence plate reader")

    page.goto(f"{base}/systems/{system.id}/operators")
    for name, email in (("Ana Duarte", "ana@police.example"), ("Bo Lind", "bo@police.example")):
        page.locator("#name").fill(name)
        page.locator("#email").fill(email)
        page.locator("#unit").fill("Traffic")
        page.locator("#authorised_from").fill("2026-01-05")
        page.get_by_role("button", name="Add the operator").click()
        page.wait_for_url(re.compile(r".*/operators#current$"))
    assert Operator.select().where(Operator.system == system).count() == 2
    assert page.locator("table.operators tbody tr").count() == 2
    at_each_width(page, screenshot, "operators")

    operators_csv = tmp_path / "operators.csv"
    operators_csv.write_text(
        "Name;E-mail;Unit;From;Until\n"
        "Ana Duarte;ana@police.example;Motorway patrol;;2026-12-31\n"
        "Cy Moss;cy@police.example;Traffic;05/01/2026;\n"
        "Di Park;di-at-police;Traffic;soon;\n"
    )
    page.get_by_label("CSV file").set_input_files(str(operators_csv))
    page.get_by_role("button", name="Check the file").click()
    page.locator("#dry-run-h").wait_for()
    assert "1 of 3 rows have errors (2 in all)" in page.content()
    at_each_width(page, screenshot, "operators-import-errors")
    operators_csv.write_text(
        operators_csv.read_text().replace("di-at-police;Traffic;soon", "di@police.example;Traffic;")
    )
    page.get_by_label("CSV file").set_input_files(str(operators_csv))
    page.get_by_role("button", name="Check the file").click()
    page.get_by_role("button", name="Import 3 operators").wait_for()
    at_each_width(page, screenshot, "operators-import-ready")
    page.get_by_role("button", name="Import 3 operators").click()
    page.wait_for_url(re.compile(r".*/operators$"))
    assert Operator.select().where(Operator.system == system).count() == 4

    page.goto(f"{base}/systems/{system.id}/edit")
    page.locator("#pf-publication").scroll_into_view_if_needed()
    # The grid: each field's label and its level on one line.
    row = page.locator("table.levels-grid tr", has=page.locator("label[for=level_risk_level]"))
    label_box = row.locator("th").bounding_box()
    select_box = row.locator("select").bounding_box()
    assert abs(label_box["y"] - select_box["y"]) < label_box["height"]
    at_each_width(page, screenshot, "system-edit")


def test_a_register_import_dry_run_shows_each_rows_errors(page, base, people, screenshot, tmp_path):
    path = tmp_path / "register.csv"
    path.write_text(
        "name;purpose;development_approach;lifecycle_stage;risk_level;processes_personal_data;"
        "purpose_type;ai_act_roles;owner\n"
        "Plate reader;Reads plates;external;deployment;high;yes;law_enforcement;deployer;Ana\n"
        "Chatbot;Answers questions;off the shelf;testing;severe;perhaps;administrative;deployer;\n"
        ";Finds fraud;internal;planning;low;no;administrative;provider;Bo\n"
    )
    sign_in(page, base, people["legal"], "/systems/import")
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Check the file").click()
    page.locator("#dry-run-h").wait_for()
    assert "2 of 3 rows have errors" in page.content()
    assert page.locator("table.import-errors tbody tr").count() == 3
    at_each_width(page, screenshot, "register-import-errors")
    path.write_text(
        path.read_text().replace("severe;perhaps", "medium;no").replace("\n;", "\nFraud finder;")
    )
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Check the file").click()
    page.get_by_role("button", name="Import 3 systems").wait_for()
    at_each_width(page, screenshot, "register-import-ready")
    page.get_by_role("button", name="Import 3 systems").click()
    page.wait_for_url(re.compile(r".*/portfolio$"))
    assert AISystem.select().count() == 3
