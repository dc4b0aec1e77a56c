"""The tree's boundaries: the API and the pages reach shared state through tracker.runtime,
never through the app factory that imports them."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent / "tracker"


@pytest.mark.parametrize("package", ["api", "web"])
def test_api_and_web_never_import_the_app_factory(package):
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            if "tracker.app" in names:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
