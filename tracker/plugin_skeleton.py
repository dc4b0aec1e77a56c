"""A new jurisdiction plugin's package, ready to install: `tracker plugins new NAME`.

The files come from the templates in ``tracker/plugin_template`` (package data): a
``pyproject.toml`` with the ``tracker.plugins`` entry point, a module declaring one
jurisdiction, one profile question with help text and one requirement with a citation and its
verification status, a test using :mod:`tracker.testing`, and a README. Nothing existing is
ever overwritten: if any file the skeleton would write is there already, nothing is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from tracker.errors import Conflict, ValidationFailed
from tracker.plugin_api import API_VERSION

# A jurisdiction id that is also a plain entry point and module name: lower-case letters and
# digits, words joined by single hyphens, starting with a letter.
NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
MAX_NAME = 40

# Template file -> where it goes in the package, given the module's name.
FILES = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "plugin.py.tmpl": "{module}/__init__.py",
    "test_plugin.py.tmpl": "tests/test_{module}.py",
}


@dataclass(frozen=True)
class Skeleton:
    name: str
    folder: Path
    files: tuple[Path, ...]

    @property
    def module(self) -> str:
        return module_name(self.name)


def module_name(name: str) -> str:
    return f"tracker_{name.replace('-', '_')}"


def api_range() -> str:
    """The range a new plugin declares: this API's major version."""
    major = int(API_VERSION.split(".")[0])
    return f">={major},<{major + 1}"


def check_name(name: str, taken: Iterable[str] = ()) -> None:
    """Refuse a name that cannot be a jurisdiction id, or that an installed plugin uses."""
    if not NAME.match(name) or len(name) > MAX_NAME:
        raise ValidationFailed(
            {
                "name": [
                    f"{name!r} cannot name a plugin: use lower-case letters and digits, words "
                    f"joined by single hyphens, starting with a letter, at most {MAX_NAME} "
                    "characters (e.g. ruritania or ruritania-police)"
                ]
            }
        )
    if name in set(taken):
        raise ValidationFailed(
            {
                "name": [
                    f"{name!r} is already the name of an installed plugin or jurisdiction; "
                    "a jurisdiction belongs to one plugin, so choose another name"
                ]
            }
        )


def render(name: str) -> dict[str, str]:
    """The skeleton's files, by their path inside the package."""
    module = module_name(name)
    values = {
        "name": name,
        "module": module,
        "distribution": f"tracker-{name}",
        "title": " ".join(part.capitalize() for part in name.split("-")),
        "question": f"{name.replace('-', '_')}_national_database",
        "api_range": api_range(),
    }
    templates = resources.files("tracker") / "plugin_template"
    return {
        target.format(module=module): Template(
            (templates / source).read_text(encoding="utf-8")
        ).substitute(values)
        for source, target in FILES.items()
    }


def write(name: str, folder: Path | None = None, taken: Iterable[str] = ()) -> Skeleton:
    """Write the package for plugin ``name`` into ``folder`` (default ``./tracker-NAME``).

    The folder may exist; a file the skeleton would write may not (Conflict names them all,
    and nothing is written).
    """
    check_name(name, taken)
    folder = Path(folder) if folder is not None else Path(f"tracker-{name}")
    files = {folder / path: text for path, text in render(name).items()}
    if existing := [str(path) for path in files if path.exists() or path.is_symlink()]:
        raise Conflict(
            f"not writing the plugin skeleton: {', '.join(existing)} already exist"
            + ("s" if len(existing) == 1 else "")
            + "; choose another --dir, or move them away"
        )
    if folder.exists() and not folder.is_dir():
        raise Conflict(f"not writing the plugin skeleton: {folder} is a file, not a folder")
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        # "x": never replace a file, even one that appeared since the check above.
        with path.open("x", encoding="utf-8") as out:
            out.write(text)
    return Skeleton(name, folder, tuple(files))
