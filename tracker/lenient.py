"""Building plugin definitions leniently: one wrong argument costs one definition, not a plugin.

A plugin returns its definitions as one list expression, so a single ``Requirement(...)`` with a
misspelt, missing or surplus argument would raise inside the hook and lose every other definition
the hook returns. :func:`tolerant` makes such a call build a marked instance instead; the plugin
host reports it, with the plugin and the ``file.py:line`` it was written at, and leaves it out.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import inspect
import sys
from collections.abc import Iterable
from dataclasses import MISSING
from pathlib import PurePath
from typing import Any, TypeVar


def closest(name: object, known: Iterable[str]) -> str | None:
    """The one of ``known`` that a misspelt ``name`` most likely meant, if any is close."""
    matches = difflib.get_close_matches(str(name), list(known), n=1)
    return matches[0] if matches else None


Definition = TypeVar("Definition")


def short_path(filename: str, module: str) -> str:
    """``package/module.py`` rather than the full path of an installed plugin's file."""
    path = PurePath(filename)
    depth = module.count(".") + 1 + (path.name == "__init__.py")
    if not module or module == "__main__" or len(path.parts) < depth:
        return filename
    return "/".join(path.parts[-depth:])


def _caller_location() -> str:
    """Where the definition was written: the first frame outside this module and dataclasses."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__") in (__name__, "dataclasses"):
        frame = frame.f_back
    if frame is None:
        return "an unknown place"
    module = frame.f_globals.get("__name__", "")
    return f"{short_path(frame.f_code.co_filename, module)}:{frame.f_lineno}"


def _construct_leniently(instance: Any, args: tuple, kwargs: dict[str, Any]) -> None:
    """Fill ``instance`` from what the call gave, recording each argument that is wrong."""
    parameters = [f for f in dataclasses.fields(instance) if f.init]
    names = [f.name for f in parameters]
    problems = []
    values = dict(zip(names, args, strict=False))
    if len(args) > len(names):
        problems.append(f"takes at most {len(names)} positional arguments, not {len(args)}")
    guessed = set()
    for name, value in kwargs.items():
        if name not in names:
            unset = [n for n in names[len(args) :] if n not in kwargs]
            guess = closest(name, unset)
            problems.append(
                f"unknown argument {name!r}" + (f" (did you mean {guess!r}?)" if guess else "")
            )
            guessed.add(guess)
        elif name in values:
            problems.append(f"argument {name!r} is given twice (by position and by name)")
        else:
            values[name] = value
    for f in parameters:
        if f.name in values:
            continue
        if f.default is not MISSING:
            values[f.name] = f.default
        elif f.default_factory is not MISSING:
            values[f.name] = f.default_factory()
        else:
            if f.name not in guessed:  # already said: "unknown argument 'x' (did you mean ...)"
                problems.append(f"missing argument {f.name!r}")
            values[f.name] = None
    for name, value in values.items():
        object.__setattr__(instance, name, value)
    object.__setattr__(instance, "construction_problems", tuple(problems))
    object.__setattr__(instance, "defined_at", _caller_location())


def tolerant(cls: type[Definition]) -> type[Definition]:
    """Let a call with wrong arguments build a marked instance of ``cls`` instead of raising.

    A plugin returns its definitions as one list expression, so a single
    ``Requirement(...)`` with a misspelt, missing or surplus argument would raise
    inside the hook and lose every other definition the hook returns. Here such a
    call yields an instance whose ``construction_problems`` say what was wrong and
    whose ``defined_at`` says where (``file.py:line``); the plugin host reports it
    by plugin and leaves out that one definition. Well-formed calls take the
    dataclass's own ``__init__`` unchanged, and type checkers still see (and flag)
    its real signature. Errors raised after the arguments are bound still raise.
    """
    strict = cls.__init__
    signature = inspect.signature(strict)

    @functools.wraps(strict)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            strict(self, *args, **kwargs)
        except TypeError:
            try:
                signature.bind(self, *args, **kwargs)
            except TypeError:
                _construct_leniently(self, args, kwargs)
                return
            raise

    cls.__init__ = __init__  # type: ignore[method-assign]
    return cls
