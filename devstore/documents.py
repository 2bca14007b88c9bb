"""GraphQL documents parsed and validated once per query text.

A client sends the same few documents over and over; parsing and validating each against the whole Admin
schema took a third of the devstore's time under load. The schema never changes while the process lives,
so each query text's answer is kept (least recently used first out).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse, validate

from . import versions

# A query text's document, validation problems and deprecated usages, or its syntax error.
Prepared = tuple[DocumentNode, tuple[GraphQLError, ...], tuple[str, ...]] | GraphQLError


class PreparedDocuments:
    def __init__(self, schema: GraphQLSchema, size: int = 512) -> None:  # a client sends a few dozen
        self.schema = schema
        self.size = size
        self._kept: OrderedDict[str, Prepared] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, query: str) -> Prepared:
        with self._lock:
            kept = self._kept.get(query)
            if kept is not None:
                self._kept.move_to_end(query)
                return kept
        try:
            document = parse(query)
        except GraphQLError as exc:
            prepared: Prepared = exc
        else:
            problems = tuple(validate(self.schema, document))
            usages = () if problems else tuple(versions.deprecated_usages(self.schema, document))
            prepared = (document, problems, usages)
        with self._lock:
            self._kept[query] = prepared
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return prepared
