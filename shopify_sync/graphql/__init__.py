"""The GraphQL documents the portal sends, one `.graphql` file per subject, validated in the tests against
Shopify's real schema. Operations are picked by name from their file (`operationName`)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent


@cache
def document(name: str) -> str:
    return (HERE / f"{name}.graphql").read_text()


def all_documents() -> dict[str, str]:
    return {path.stem: path.read_text() for path in sorted(HERE.glob("*.graphql"))}
