"""Shopify's search syntax for the ``query`` argument: ``field:value`` terms joined by spaces or AND.

Supported: ``field:value``, ``field:'quoted value'``, comparisons ``field:>v``, ``>=``, ``<``, ``<=``,
negation (``-field:v`` or ``NOT field:v``), ``OR`` between terms, and bare words (matched against the
default fields). Unknown fields are ignored with a warning, as Shopify does: the recording
bulk-operation-root-count-and-search-filters.json shows ``extensions.search[].warnings`` with
``{"field", "message": "Invalid search field for this query.", "code": "invalid_field"}``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

TOKEN = re.compile(
    r"""\s*(?:
        (?P<paren>[()])
      | (?P<term>-?[A-Za-z_][\w.]*:(?:>=|<=|>|<|=)?(?:'[^']*'|"[^"]*"|[^\s()]*))
      | (?P<word>'[^']*'|"[^"]*"|[^\s()]+)
    )""",
    re.VERBOSE,
)


@dataclass
class Term:
    field: str | None
    op: str  # ":", ">", ">=", "<", "<="
    value: str
    negated: bool = False


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def tokenize(text: str) -> list[list[Term]]:
    """Return OR-groups of AND-ed terms (parentheses are flattened, which covers common use)."""
    groups: list[list[Term]] = [[]]
    negate_next = False
    pos = 0
    text = text or ""
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
        if m.group("paren"):
            continue
        if m.group("term"):
            raw = m.group("term")
            negated = raw.startswith("-") or negate_next
            negate_next = False
            raw = raw.lstrip("-")
            field, rest = raw.split(":", 1)
            op = ":"
            for candidate in (">=", "<=", ">", "<", "="):
                if rest.startswith(candidate):
                    op = ":" if candidate == "=" else candidate
                    rest = rest[len(candidate) :]
                    break
            groups[-1].append(Term(field.lower(), op, _unquote(rest), negated))
            continue
        word = m.group("word")
        upper = word.upper()
        if upper == "AND":
            continue
        if upper == "OR":
            groups.append([])
            continue
        if upper == "NOT":
            negate_next = True
            continue
        negated = (word.startswith("-") and len(word) > 1) or negate_next
        negate_next = False
        groups[-1].append(Term(None, ":", _unquote(word.lstrip("-") if negated else word), negated))
    return [g for g in groups if g] or [[]]


Matcher = Callable[[dict], bool]
FieldHandler = Callable[[str, str], "Matcher | None"]


def compile_query(
    text: str | None,
    fields: dict[str, FieldHandler],
    default: FieldHandler,
) -> tuple[Matcher, list[dict]]:
    """Build a predicate from ``text``; returns (predicate, warnings)."""
    if not text or not text.strip():
        return (lambda _item: True), []
    warnings: list[dict] = []
    compiled_groups: list[list[tuple[Matcher, bool]]] = []
    for group in tokenize(text):
        compiled: list[tuple[Matcher, bool]] = []
        for term in group:
            handler = default if term.field is None else fields.get(term.field)
            matcher = handler(term.op, term.value) if handler else None
            if matcher is None:
                if term.field is not None:
                    warnings.append(
                        {
                            "field": term.field,
                            "message": "Invalid search field for this query.",
                            "code": "invalid_field",
                        }
                    )
                continue
            compiled.append((matcher, term.negated))
        compiled_groups.append(compiled)

    def predicate(item: dict) -> bool:
        return any(all(m(item) != neg for m, neg in group) for group in compiled_groups)

    return predicate, warnings


def compare(op: str, left, right) -> bool:
    if left is None:
        return False
    if op == ">":
        return left > right
    if op == ">=":
        return left >= right
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    return left == right
