"""Why a requirement applies to a system, or why it does not, in words a DPO can defend.

An applicability rule is a ``rule_engine`` expression over the profile. The
reason given is a list of facts about the system, each one true as written,
that together decide the rule's value:

- ``a and b`` that holds: the reasons of both parts;
- ``a or b`` that holds: the reasons of each part that holds (not the ones that do not);
- ``a and b`` that fails: the reasons of each failing part (any one of them suffices);
- ``a or b`` that fails: the reasons of both parts (every alternative failed);
- ``not a``: the reasons of ``a``, which state the facts as they are.

A single condition is worded from the actual value: ``purpose_type is law_enforcement``,
``risk_level is low (not high)``, ``ai_act_roles includes provider``,
``ai_act_roles does not include provider (it is deployer)``. Answers to plugin
questions (merged into the profile by question id) are named as answers:
``answer aia_annex_iii_6 is d_offending_risk``. A condition of another shape is
quoted with the values it read.

Explanations are memoised per (rule, values of the facts the rule reads), like
:meth:`tracker.requirements.CompiledRule.applies`: only detailed evaluations ask
for them, and they cost one dictionary look-up after the first.
"""

from __future__ import annotations

import decimal
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rule_engine import ast
from rule_engine.errors import EngineError

from tracker.completeness.memo import remember
from tracker.i18n import N_
from tracker.i18n.text import Phrase, joined, listing
from tracker.requirements import CompiledRule, hashable

# Operators as the rule language writes them.
_OPERATORS = {
    "and": "and",
    "or": "or",
    "eq": "==",
    "ne": "!=",
    "gt": ">",
    "ge": ">=",
    "lt": "<",
    "le": "<=",
    "eq_fzm": "=~",
    "eq_fzs": "=~~",
    "ne_fzm": "!~",
    "ne_fzs": "!~~",
    "add": "+",
    "sub": "-",
    "mul": "*",
    "tdiv": "/",
    "fdiv": "//",
    "mod": "%",
    "pow": "**",
}
_ORDER = {"gt", "ge", "lt", "le"}


@dataclass(frozen=True, slots=True)
class RuleReason:
    """Whether a rule holds for a profile, and the facts that decide it, each true as written."""

    holds: bool
    parts: tuple[str, ...]

    def __str__(self) -> str:
        return str(joined(self.parts))


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a requirement applies to a system, and why: the jurisdiction, then the rule."""

    applies: bool
    jurisdiction: str  # why the requirement's jurisdiction does, or does not, cover the system
    jurisdiction_applies: bool
    rule: RuleReason

    @property
    def reasons(self) -> list[str]:
        """The deciding reasons: everything when it applies; otherwise only what failed."""
        if self.applies:
            return [self.jurisdiction, *self.rule.parts]
        out = [] if self.jurisdiction_applies else [self.jurisdiction]
        return out + (list(self.rule.parts) if not self.rule.holds else [])


# Rules times the values they read: a few per requirement and profile.
EXPLANATIONS_KEPT = 16384


class Explainer:
    """Explains applicability rules; one per catalogue, its memo shared by every evaluation."""

    def __init__(self, question_ids: Iterable[str] = (), kept: int | None = None) -> None:
        self.question_ids = frozenset(question_ids)
        self._memo: dict[tuple, RuleReason] = {}
        self._kept = kept  # explanations kept at most (a long-lived evaluator's); None: all

    def explain(self, rule: CompiledRule, profile: Mapping[str, Any]) -> RuleReason:
        """Why ``rule`` holds, or fails, for ``profile`` (missing facts read as None)."""
        key = (rule.text, tuple(hashable(profile.get(name)) for name in rule.symbols))
        found = self._memo.get(key)
        if found is None:
            values = dict(zip(rule.symbols, key[1], strict=True))
            found = _Explanation(rule, values, self.question_ids).result()
            if self._kept is None:
                self._memo[key] = found
            else:
                remember(self._memo, key, found, self._kept)
        return found


class _Explanation:
    """One explanation of one rule for one set of values."""

    def __init__(
        self, rule: CompiledRule, values: dict[str, Any], questions: frozenset[str]
    ) -> None:
        self.engine_rule = rule._rule  # the compiled rule_engine.Rule
        self.values = values
        self.questions = questions

    def result(self) -> RuleReason:
        # The verdict is the rule's own: the explanation never decides differently from it.
        holds = bool(self.engine_rule.matches(self.values))
        expression = self.engine_rule.statement.expression
        parts = self.reasons(expression, holds)
        if not parts:  # a constant rule such as "true"
            parts = [
                Phrase("its rule applies to every system")
                if holds
                else Phrase("its rule applies to no system")
            ]
        return RuleReason(holds, tuple(dict.fromkeys(parts)))

    def value_of(self, node: ast.ExpressionBase) -> Any:
        context = self.engine_rule.context
        context._tls.reset()  # as Rule.evaluate does before each evaluation
        with decimal.localcontext(context.decimal_context):
            return node.evaluate(self.values)

    def truth(self, node: ast.ExpressionBase) -> bool | None:
        """The node's truth for the values, or None when it cannot be evaluated on its own
        (a part the rule guards, such as the right side of ``x != null and x.length > 0``)."""
        try:
            return bool(self.value_of(node))
        except EngineError:
            return None

    def reasons(self, node: ast.ExpressionBase, holds: bool) -> list[str]:
        """The facts that make ``node`` evaluate to ``holds``."""
        if isinstance(node, ast.LogicExpression):
            # In each of the four cases the deciding parts are those with the node's own value:
            # "and" that holds and "or" that fails (both parts), "and" that fails (its failing
            # parts), "or" that holds (its parts that hold).
            deciding = [side for side in (node.left, node.right) if self.truth(side) is holds]
            if not deciding:  # neither part could be judged alone: quote the whole
                return [self.quoted(node, holds)]
            return [text for side in deciding for text in self.reasons(side, holds)]
        if isinstance(node, ast.UnaryExpression) and node.type == "not":
            return self.reasons(node.right, not holds)
        if isinstance(node, ast.LiteralExpressionBase):
            return []
        return [self.condition(node, holds)]

    # Single conditions

    def name(self, symbol: ast.SymbolExpression) -> str:
        if symbol.name in self.questions:
            return Phrase("answer %(question)s", question=symbol.name)
        return symbol.name

    def condition(self, node: ast.ExpressionBase, holds: bool) -> str:
        """One condition, worded from the actual value; the rule's text when of another shape."""
        if isinstance(node, ast.SymbolExpression):
            value = self.values.get(node.name)
            if isinstance(value, bool) or value is None:
                return _is(self.name(node), value)
        elif isinstance(node, ast.ComparisonExpression) and not isinstance(
            node, ast.FuzzyComparisonExpression
        ):
            symbol, literal = _symbol_and_literal(node.left, node.right)
            if symbol is not None and (node.type in ("eq", "ne") or symbol is node.left):
                return self.comparison(node.type, symbol, literal.evaluate(None), holds)
        elif isinstance(node, ast.ContainsExpression):
            member, container = node.member, node.container
            if isinstance(member, ast.SymbolExpression) and isinstance(
                container, ast.LiteralExpressionBase
            ):
                value, choices = self.values.get(member.name), container.evaluate(None)
                if holds:
                    return _is(self.name(member), value)
                return Phrase(
                    "%(fact)s is %(value)s (not %(other)s)",
                    fact=self.name(member),
                    value=_value(value),
                    other=_alternatives(choices),
                )
            if isinstance(container, ast.SymbolExpression) and isinstance(
                member, ast.LiteralExpressionBase
            ):
                value, wanted = self.values.get(container.name), member.evaluate(None)
                name = self.name(container)
                if holds:
                    return Phrase("%(fact)s includes %(value)s", fact=name, value=_value(wanted))
                if value:
                    return Phrase(
                        "%(fact)s does not include %(value)s (it lists %(listed)s)",
                        fact=name,
                        value=_value(wanted),
                        listed=_value(value),
                    )
                return Phrase(
                    "%(fact)s does not include %(value)s (it is empty)",
                    fact=name,
                    value=_value(wanted),
                )
        return self.quoted(node, holds)

    def comparison(self, operator: str, symbol: ast.SymbolExpression, wanted: Any, holds: bool):
        name, value = self.name(symbol), self.values.get(symbol.name)
        if operator == "eq":
            return _is(name, value) if holds else self.differs(name, value, wanted)
        if operator == "ne":
            return self.differs(name, value, wanted) if holds else _is(name, value)
        message = N_("%(fact)s is %(value)s (%(sign)s %(limit)s)")
        if not holds:
            message = N_("%(fact)s is %(value)s (not %(sign)s %(limit)s)")
        return Phrase(
            message,
            fact=name,
            value=_value(value),
            sign=_OPERATORS[operator],
            limit=_value(wanted),
        )

    @staticmethod
    def differs(name: str, value: Any, other: Any) -> str:
        return Phrase(
            "%(fact)s is %(value)s (not %(other)s)",
            fact=name,
            value=_value(value),
            other=_value(other),
        )

    def quoted(self, node: ast.ExpressionBase, holds: bool) -> str:
        """A condition of another shape: its text, its value and the facts it read."""
        read = [_is(self.name(symbol), self.values.get(symbol.name)) for symbol in _symbols(node)]
        message = N_("%(rule)s is true") if holds else N_("%(rule)s is false")
        text = Phrase(message, rule=_render(node))
        if not read:
            return text
        return Phrase(
            "%(condition)s (%(facts)s)", condition=text, facts=joined(dict.fromkeys(read), ", ")
        )


def _is(name: str, value: Any) -> Phrase:
    return Phrase("%(fact)s is %(value)s", fact=name, value=_value(value))


def _symbol_and_literal(left: Any, right: Any) -> tuple[Any, Any]:
    """(symbol, literal) of a comparison between a fact and a constant, else (None, None)."""
    if isinstance(left, ast.SymbolExpression) and isinstance(right, ast.LiteralExpressionBase):
        return left, right
    if isinstance(right, ast.SymbolExpression) and isinstance(left, ast.LiteralExpressionBase):
        return right, left
    return None, None


def _value(value: Any) -> str:
    """A profile value for people: text as it is, lists as "a, b and c", booleans as true/false."""
    if value is None:
        return Phrase("not set")
    if isinstance(value, bool):
        return Phrase("true") if value else Phrase("false")
    if isinstance(value, tuple | list | set | frozenset):
        items = [_value(v) for v in value]
        return listing(items) if items else Phrase("empty")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if value == "":
        return Phrase('"" (empty)')
    return str(value)


def _alternatives(values: Any) -> str:
    items = [_value(v) for v in values]
    return listing(items, "or") if items else Phrase("anything")


def _symbols(node: Any) -> list[ast.SymbolExpression]:
    """The fact symbols a node reads, in reading order."""
    if isinstance(node, ast.SymbolExpression):
        return [node]
    found = []
    for name in ("left", "right", "member", "container", "object", "item", "condition"):
        child = getattr(node, name, None)
        if isinstance(child, ast.ExpressionBase):
            found += _symbols(child)
    return found


def _render(node: Any) -> str:
    """A node as the rule language writes it."""
    if isinstance(node, ast.SymbolExpression):
        return node.name
    if isinstance(node, ast.StringExpression):
        return json.dumps(node.value, ensure_ascii=False)
    if isinstance(node, ast.BooleanExpression):
        return "true" if node.value else "false"
    if isinstance(node, ast.NullExpression):
        return "null"
    if isinstance(node, ast.FloatExpression):
        return _value(node.value)
    if isinstance(node, ast.ArrayExpression | ast.SetExpression):
        inner = ", ".join(_render(item) for item in node.value)
        return f"[{inner}]" if isinstance(node, ast.ArrayExpression) else f"{{{inner}}}"
    if isinstance(node, ast.LogicExpression):
        return f"({_render(node.left)} {node.type} {_render(node.right)})"
    if isinstance(node, ast.BinaryExpressionBase):
        operator = _OPERATORS.get(node.type, node.type)
        return f"{_render(node.left)} {operator} {_render(node.right)}"
    if isinstance(node, ast.ContainsExpression):
        return f"{_render(node.member)} in {_render(node.container)}"
    if isinstance(node, ast.UnaryExpression):
        return f"not {_render(node.right)}" if node.type == "not" else f"-{_render(node.right)}"
    if isinstance(node, ast.GetAttributeExpression):
        return f"{_render(node.object)}{'&.' if node.safe else '.'}{node.name}"
    if isinstance(node, ast.GetItemExpression):
        return f"{_render(node.container)}[{_render(node.item)}]"
    return type(node).__name__  # not written by any plugin so far; named rather than guessed


__all__ = ["Explainer", "RuleReason", "Verdict"]
