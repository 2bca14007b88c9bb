"""The import rules of docs/architecture.md ("Who may import whom"), checked on every import statement.

Dependencies point one way, portal → cancellations → shopify_sync, and the devstore is a separate program
spoken to over HTTP. Tests are exempt where the page says so: they start workers with `portal.celery` and
Shopify with `devstore.testing`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("portal", "cancellations", "shopify_sync")
HARNESSES = ("devstore", "bench", "soak")


@dataclass(frozen=True)
class Rule:
    package: str
    forbidden: tuple[str, ...]
    tests_too: bool  # whether the package's tests (and conftest.py files) must obey it as well

    def __str__(self) -> str:
        where = "" if self.tests_too else " outside its tests"
        return f"{self.package} imports no {'/'.join(self.forbidden)}{where}"


RULES = [
    Rule("shopify_sync", ("cancellations",), tests_too=True),
    Rule("shopify_sync", ("portal",), tests_too=False),
    Rule("cancellations", ("portal",), tests_too=False),
    *(Rule(app, HARNESSES, tests_too=False) for app in APPS),
    Rule("devstore", (*APPS, "bench", "soak"), tests_too=True),
]


def imported_modules(source: str) -> Iterator[tuple[int, str]]:
    """(line, module) of every absolute import in `source`, wherever it stands: inside a function, under
    `if TYPE_CHECKING:`. Relative imports stay inside their own package, so they cannot break a rule."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def forbidden_imports(source: str, forbidden: tuple[str, ...]) -> list[tuple[int, str]]:
    return [(line, module) for line, module in imported_modules(source) if module.split(".")[0] in forbidden]


def is_test_code(relative_path: Path) -> bool:
    return "tests" in relative_path.parts or relative_path.name == "conftest.py"


def offenders(root: Path, rule: Rule) -> list[str]:
    """`path:line imports module` for every import under `root / rule.package` that breaks `rule`."""
    found = []
    for path in sorted((root / rule.package).rglob("*.py")):
        relative = path.relative_to(root)
        if rule.tests_too or not is_test_code(relative):
            found += [
                f"{relative}:{line} imports {module}"
                for line, module in forbidden_imports(path.read_text(encoding="utf-8"), rule.forbidden)
            ]
    return found


@pytest.mark.parametrize("rule", RULES, ids=str)
def test_the_code_keeps_the_import_rules_of_the_architecture_page(rule):
    assert (ROOT / rule.package / "__init__.py").exists()  # a misplaced ROOT would check nothing

    found = offenders(ROOT, rule)

    assert not found, f"{rule} (docs/architecture.md), but:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        "import cancellations",
        "import os, cancellations.models as models",
        "from cancellations.services import request_submit",
        "def push():\n    from cancellations import tasks\n",
        "if TYPE_CHECKING:\n    from cancellations.models import Request\n",
    ],
)
def test_the_checker_finds_an_import_wherever_it_stands(source):
    assert [module.split(".")[0] for _, module in forbidden_imports(source, ("cancellations",))] == [
        "cancellations"
    ]


@pytest.mark.parametrize(
    "source",
    ["from . import cancellations", "import cancellations_archive", "from shopify_sync import cancellations"],
)
def test_the_checker_ignores_what_only_looks_like_the_package(source):
    assert forbidden_imports(source, ("cancellations",)) == []


def test_it_names_the_offending_file_and_import_and_exempts_tests_where_the_rule_does(tmp_path):
    services = tmp_path / "shopify_sync" / "services"
    tests = tmp_path / "shopify_sync" / "tests"
    services.mkdir(parents=True)
    tests.mkdir()
    (services / "mirror.py").write_text('"""The mirror."""\n\nfrom portal.views import order_list\n')
    (tests / "test_worker.py").write_text("from portal.celery import app\n")

    assert offenders(tmp_path, Rule("shopify_sync", ("portal",), tests_too=False)) == [
        "shopify_sync/services/mirror.py:3 imports portal.views"
    ]
    assert offenders(tmp_path, Rule("shopify_sync", ("portal",), tests_too=True)) == [
        "shopify_sync/services/mirror.py:3 imports portal.views",
        "shopify_sync/tests/test_worker.py:1 imports portal.celery",
    ]
