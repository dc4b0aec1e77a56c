"""The message catalogues' upkeep: ``make translations`` runs ``python -m tracker.i18n.catalogues``.

1. extract every string marked in the source, as ``babel.cfg`` says where: ``_()``,
   ``gettext()``, ``ngettext()`` and ``N_()`` in Python, ``_()`` and ``ngettext()`` in the Jinja
   templates of pages and e-mails, and the CLI's help texts (command docstrings and ``help=``),
   which click reads in English and :mod:`tracker.cli.language` translates;
2. update each language's ``messages.po``: new strings arrive untranslated, strings gone from the
   source leave, every translation is kept (a changed string comes back *fuzzy*, with the old
   translation as a suggestion to check);
3. compile each ``messages.po`` into the ``messages.mo`` the tracker reads.

:func:`problems` is what ``tests/test_i18n.py`` checks: a string with no translation, a fuzzy one,
a translation whose placeholders differ from its English, or a ``.mo`` older than its ``.po``.
English is the source language: it has no catalogue of its own.
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import string
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from babel import Locale
from babel.messages import mofile, pofile
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir, extract_python
from babel.messages.frontend import parse_mapping_cfg

from tracker import i18n
from tracker.i18n import validation
from tracker.i18n.plugin_texts import MessageCatalogue, texts_of

ROOT = Path(__file__).resolve().parents[2]  # the repository
MAPPING = ROOT / "babel.cfg"
PROJECT = "AI Evidence Tracker"
COMMENT_TAGS = ("Translators:",)
# The marking functions: gettext's usual ones, tracker.cli.language's for click's plurals, and
# tracker.i18n.text's Phrase (a message translated where it is shown).
KEYWORDS = {**DEFAULT_KEYWORDS, "N_plural": (1, 2), "Phrase": None}
# Click's keyword arguments that carry text for --help.
HELP_KEYWORDS = frozenset({"help", "short_help", "epilog"})


def core() -> MessageCatalogue:
    """The tracker's own catalogue (each built-in plugin has its own: built_in_plugins()).
    Read at call time, so that a test can point i18n.CATALOGUES at a folder of its own."""
    return MessageCatalogue(i18n.CATALOGUES, i18n.DOMAIN)


def po_path(language: str, where: MessageCatalogue | None = None) -> Path:
    return (where or core()).path(language, ".po")


def mo_path(language: str, where: MessageCatalogue | None = None) -> Path:
    return (where or core()).path(language, ".mo")


def translated_languages() -> list[str]:
    """Every language the tracker speaks but English, the language of the source."""
    return [language for language in i18n.LANGUAGES if language != i18n.DEFAULT_LANGUAGE]


# --- extraction ---------------------------------------------------------------------------


def _called(node: ast.expr) -> str:
    """The name a decorator or call ends in: ``click.command(...)`` -> ``command``."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _text(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value:
        return node.value
    return None


def extract_cli(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict[str, Any]
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extraction for the CLI's modules: the marked strings, plus click's help texts.

    A command's help is its docstring, cleaned as click cleans it (``inspect.cleandoc``); an
    option's is its ``help=`` text; ``acting_user("...")`` passes its help as the first argument.
    """
    source = fileobj.read()
    copy = io.BytesIO(source)
    copy.name = getattr(fileobj, "name", "")  # for babel's warnings
    yield from extract_python(copy, keywords, comment_tags, options)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and any(
            _called(decorator) in ("command", "group") for decorator in node.decorator_list
        ):
            if doc := ast.get_docstring(node, clean=True):
                yield node.lineno, "N_", doc, []
        elif isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg in HELP_KEYWORDS and (text := _text(keyword.value)):
                    yield keyword.value.lineno, "N_", text, []
            if _called(node) == "acting_user" and node.args and (text := _text(node.args[0])):
                yield node.lineno, "N_", text, []


def extract(root: Path = ROOT) -> Catalog:
    """Every marked string of the source tree, as babel.cfg maps it (the catalogue's template)."""
    with open(MAPPING, encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config, str(MAPPING))
    template = Catalog(project=PROJECT, domain=i18n.DOMAIN, fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(root),
        method_map,
        options_map,
        keywords=KEYWORDS,
        comment_tags=COMMENT_TAGS,
        strip_comment_tags=True,
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    for message in validation.messages():  # marshmallow's, shown on forms and in the CLI
        template.add(message, None, auto_comments=["marshmallow"])
    return template


def plugin_template(module: Any, domain: str) -> Catalog:
    """The texts a plugin module declares, as the template of its catalogue (``domain``).

    Nothing in a plugin is marked: its definitions are called through its hooks, and each text
    people read (tracker.i18n.plugin_texts.texts_of) is a message, with where it comes from as
    a comment for the translator.
    """
    template = Catalog(project=domain, domain=domain, fuzzy=False)
    for hook in ("tracker_jurisdictions", "tracker_profile_questions", "tracker_requirements"):
        for definition in getattr(module, hook, lambda: [])() or []:
            where = getattr(definition, "id", "")
            for text in texts_of([definition]):
                template.add(text, None, auto_comments=[f"{type(definition).__name__} {where}"])
    for kind in getattr(module, "tracker_event_kinds", lambda: [])() or []:
        for text in texts_of([kind]):
            template.add(text, None, auto_comments=[f"EventKind {kind.id}"])
    return template


def built_in_plugins() -> dict[MessageCatalogue, Any]:
    """Each built-in plugin that ships a catalogue: {its catalogue: its module}."""
    from importlib.metadata import entry_points

    from tracker.plugin_host import ENTRY_POINT_GROUP, is_built_in

    found = {}
    for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda p: p.name):
        if is_built_in(point):
            module = point.load()
            for where in getattr(module, "tracker_translations", lambda: [])():
                found[where] = module
    return found


def templates() -> dict[MessageCatalogue, Catalog]:
    """Every catalogue of this project, the tracker's and its plugins', with its template."""
    return {
        core(): extract(),
        **{
            where: plugin_template(module, where.domain)
            for where, module in built_in_plugins().items()
        },
    }


# --- updating and compiling ---------------------------------------------------------------


# Gettext's plural rules, simpler than CLDR's (French in CLDR has a third form, for millions).
PLURAL_FORMS = {"fr": "nplurals=2; plural=(n > 1);"}


def read(language: str, where: MessageCatalogue | None = None) -> Catalog:
    """``language``'s catalogue as its .po has it (a new, empty one if there is none)."""
    where = where or core()
    path = po_path(language, where)
    if path.exists():
        with open(path, "rb") as handle:
            return pofile.read_po(handle, locale=language, domain=where.domain)
    catalogue = Catalog(
        locale=language,
        domain=where.domain,
        project=PROJECT,
        copyright_holder=PROJECT,
        header_comment=(
            f"# {Locale.parse(language).english_name} messages of the {PROJECT}.\n"
            "# `make translations` adds the new strings of the source here; translate each one."
        ),
        fuzzy=False,
    )
    if language in PLURAL_FORMS:
        catalogue.mime_headers = [
            *catalogue.mime_headers,
            ("Plural-Forms", PLURAL_FORMS[language]),
        ]
    return catalogue


def update(language: str, template: Catalog, where: MessageCatalogue | None = None) -> Catalog:
    """Bring ``language``'s .po up to ``template``, keeping every translation."""
    catalogue = read(language, where)
    created = catalogue.creation_date
    catalogue.update(template, update_header_comment=False)
    catalogue.creation_date = created  # a run that changes no string changes no line
    catalogue.obsolete.clear()  # gone from the source: git remembers the old translations
    path = po_path(language, where)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        # Sorted and without line numbers: a string moving in its file changes nothing here.
        pofile.write_po(handle, catalogue, width=100, sort_output=True, include_lineno=False)
    return catalogue


def complete(message: Message) -> bool:
    """Whether ``message`` has a translation to use: every plural form, none of them fuzzy."""
    _ids, strings = _forms(message)
    return bool(strings) and all(strings) and not message.fuzzy


def compile_catalogue(language: str, where: MessageCatalogue | None = None) -> None:
    """.po -> .mo, with the complete translations only: English shows for the others (babel
    would compile a plural with empty forms, which would show nothing)."""
    catalogue = read(language, where)
    for message in list(catalogue):
        if message.id and not complete(message):
            catalogue.delete(message.id, message.context)
    with open(mo_path(language, where), "wb") as handle:
        mofile.write_mo(handle, catalogue, use_fuzzy=False)


# --- checks -------------------------------------------------------------------------------

_PERCENT = re.compile(r"%(?:\((?P<name>[^)]*)\))?[-#0 +]*\d*(?:\.\d+)?(?P<kind>[a-zA-Z%])")


def _percent_fields(text: str) -> list[str]:
    """The %-placeholders of ``text``: ``%(name)s`` as ``name``, ``%%`` kept, sorted."""
    return sorted(match["name"] or match["kind"] for match in _PERCENT.finditer(text))


def _brace_fields(text: str) -> list[str]:
    """The str.format fields of ``text`` (click's messages): ``{name!r}`` as ``name!r``."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return []
    return sorted(
        f"{name}!{conversion}" if conversion else name
        for _text, name, conversion, _spec in parsed
        if name is not None
    )


def placeholders(text: str) -> tuple[list[str], list[str]]:
    return _percent_fields(text), _brace_fields(text)


def _forms(message: Message) -> tuple[list[str], list[str]]:
    ids = list(message.id) if isinstance(message.id, tuple | list) else [message.id]
    strings = list(message.string) if isinstance(message.string, tuple | list) else [message.string]
    return ids, strings


def _placeholder_problem(message: Message) -> str | None:
    """How a translation's placeholders differ from its English, if they do.

    A singular translation has exactly its English's placeholders. Each plural form may use any
    of the English forms' placeholders and must keep all but ``%(num)s`` (a form for one may
    say "une" rather than the number).
    """
    ids, strings = _forms(message)
    if len(ids) == 1:
        if placeholders(ids[0]) != placeholders(strings[0]):
            return f"{ids[0]!r}: {placeholders(ids[0])} but {strings[0]!r}"
        return None
    allowed = {field for text in ids for kind in placeholders(text) for field in kind}
    needed = {field for field in _percent_fields(ids[-1]) if field != "num"}
    for text in strings:
        fields = {field for kind in placeholders(text) for field in kind}
        if not fields <= allowed or not needed <= fields:
            return f"{ids[0]!r}: {sorted(allowed)} but {text!r}"
    return None


def problems(
    language: str, template: Catalog | None = None, where: MessageCatalogue | None = None
) -> dict[str, list[str]]:
    """What stops ``language`` being complete, by kind (empty lists when it is)."""
    template = template if template is not None else extract()
    catalogue = read(language, where)
    found: dict[str, list[str]] = {
        "untranslated": [],
        "fuzzy": [],
        "placeholders": [],
        "stale .mo": [],
    }
    for message in template:
        if not message.id:
            continue
        entry = catalogue.get(message.id, message.context)
        if entry is not None and entry.fuzzy:
            found["fuzzy"].append(_shown(message.id))
        elif entry is None or not complete(entry):
            found["untranslated"].append(_shown(message.id))
        elif problem := _placeholder_problem(entry):
            found["placeholders"].append(problem)
    found["stale .mo"] = _stale(language, catalogue, where)
    return found


def _shown(msgid: str | tuple[str, ...]) -> str:
    return msgid[0] if isinstance(msgid, tuple | list) else msgid


def _tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _stale(language: str, catalogue: Catalog, where: MessageCatalogue | None = None) -> list[str]:
    """The messages whose compiled translation differs from the .po's (or is missing)."""
    path = mo_path(language, where)
    if not path.exists():
        return [f"{path.relative_to(ROOT)} does not exist"]
    with open(path, "rb") as handle:
        compiled = {_tuple(m.id): _tuple(m.string) for m in mofile.read_mo(handle) if m.id}
    expected = {_tuple(m.id): _tuple(m.string) for m in catalogue if m.id and complete(m)}
    differ = sorted(
        str(_shown(key))
        for key in compiled.keys() | expected.keys()
        if compiled.get(key) != expected.get(key)
    )
    return differ


def report(found: dict[str, list[str]]) -> str:
    return "\n".join(
        f"{kind} ({len(items)}):\n" + "\n".join(f"  {item}" for item in items)
        for kind, items in found.items()
        if items
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tracker.i18n.catalogues",
        description="Extract the marked strings, update each language's messages.po, compile "
        "messages.mo; then list what is left to translate.",
    )
    parser.add_argument(
        "--check", action="store_true", help="Change nothing; exit 1 if anything is left."
    )
    options = parser.parse_args(argv)
    left = 0
    for where, template in templates().items():
        for language in translated_languages():
            if not options.check:
                update(language, template, where)
                compile_catalogue(language, where)
            found = problems(language, template, where)
            count = sum(len(items) for items in found.values())
            left += count
            path = po_path(language, where).relative_to(ROOT)
            print(f"{language}: {len(template)} strings, {count} left to do in {path}")
            if count:
                print(report(found))
    return 1 if options.check and left else 0


if __name__ == "__main__":
    sys.exit(main())
