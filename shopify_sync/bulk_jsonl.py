"""Reading the JSONL file of a bulk operation without holding it in memory.

Shopify writes one row per object: each order, then (as separate rows carrying `__parentId`) its line items.
Its documentation promises only that a child row comes somewhere *after* its parent, not right after. Read
forwards, a reader could never be sure an order is complete. Read backwards, every child is seen before its
parent, so when an order's row arrives its lines are all in hand and the pair can be handed on at once.
Memory then holds only the children whose parent has not been reached yet: a handful in practice.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import requests

CHUNK = 1 << 16


def download(url: str, destination: Path, *, timeout: tuple[float, float] = (5.0, 60.0)) -> int:
    """Stream the file at `url` to `destination` in chunks; return its size in bytes."""
    size = 0
    with requests.get(url, stream=True, timeout=timeout) as response:
        response.raise_for_status()
        with destination.open("wb") as out:
            for chunk in response.iter_content(chunk_size=CHUNK):
                out.write(chunk)
                size += len(chunk)
    return size


def lines_backwards(path: Path) -> Iterator[bytes]:
    """The file's non-empty lines, last first, reading fixed-size blocks from the end."""
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        position = handle.tell()
        remainder = b""
        while position > 0:
            step = min(CHUNK, position)
            position -= step
            handle.seek(position)
            block = handle.read(step) + remainder
            lines = block.split(b"\n")
            remainder = lines.pop(0)  # may be the tail of a line that starts in the previous block
            for line in reversed(lines):
                if line.strip():
                    yield line
        if remainder.strip():
            yield remainder


def orders_with_children(path: Path) -> Iterator[tuple[dict, list[dict]]]:
    """(order row, its child rows in file order) for every top-level row of the file."""
    for row, _line, own in orders_with_lines(path):
        yield row, own


def orders_with_lines(path: Path) -> Iterator[tuple[dict, bytes, list[dict]]]:
    """(order row, the order's line as the file has it, its child rows in file order): the line is what
    the COPY import stores as the order's payload, so it is never serialised again."""
    children: dict[str, list[dict]] = {}
    for line in lines_backwards(path):
        row = json.loads(line)
        parent = row.pop("__parentId", None)
        if parent is not None:
            children.setdefault(parent, []).append(row)
            continue
        own = children.pop(row["id"], [])
        own.reverse()
        yield row, line, own
