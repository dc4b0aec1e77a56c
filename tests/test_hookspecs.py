"""Every hook a plugin can implement is documented for plugin authors."""

import inspect
from pathlib import Path

import pytest

from tracker import hookspecs

GUIDE = Path(__file__).parent.parent / "docs" / "writing-a-plugin.md"
HOOKS = [
    name
    for name, value in vars(hookspecs).items()
    if callable(value) and hasattr(value, "tracker_spec")
]


def test_there_are_hooks():
    assert set(HOOKS) >= {
        "tracker_jurisdictions",
        "tracker_requirements",
        "tracker_profile_questions",
    }


@pytest.mark.parametrize("hook", HOOKS)
def test_each_hookspec_has_a_docstring_saying_what_to_return(hook):
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    assert len(doc) > 150, f"{hook} needs a docstring for plugin authors"
    assert "Return" in doc


@pytest.mark.parametrize("hook", HOOKS)
def test_each_hookspec_has_a_section_in_the_plugin_guide(hook):
    assert f"### `{hook}`" in GUIDE.read_text(), (
        f"docs/writing-a-plugin.md has no section for {hook}"
    )


def test_the_guide_example_is_the_tested_example_package():
    package = (
        Path(__file__).parent
        / "plugin_packages"
        / "example_jurisdiction"
        / "tracker_example_jurisdiction"
        / "__init__.py"
    )
    code = package.read_text()
    guide = GUIDE.read_text()
    for snippet in (
        'id="ruritania.register_entry"',
        "applies_when='risk_level == \"high\" or ruritania_national_database'",
        '"ruritania_national_database"',
    ):
        assert snippet in code and snippet in guide
