"""One measured figure, printed as a JSON line and kept for bench/RESULTS.md."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Figure:
    metric: str
    value: float
    unit: str
    limit: float | None = None  # the bound the value is judged against (a ceiling or a target)
    ratio: float | None = None  # value / limit, or the issue's own definition of the ratio
    note: str = ""

    def as_json(self) -> str:
        data = asdict(self)
        note = data.pop("note")
        return json.dumps({**data, **({"note": note} if note else {})}, ensure_ascii=False)
