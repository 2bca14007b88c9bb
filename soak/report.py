"""`bench/SOAK.md`: the soak's latest result, with the machine, the date, the options and the timings."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from soak.plan import MERCHANT_HOLD_HANDLE, WINDOW_MINUTES
from soak.reconcile import HOLD_HANDLE, NO_REQUEST
from soak.run import PRICE_ATTEMPTS, PRICE_RETRY_SECONDS

if TYPE_CHECKING:
    from soak.reconcile import Verdict
    from soak.run import Soak


def _machine() -> str:
    memory = ""
    try:
        with open("/proc/meminfo") as meminfo:
            kib = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    system = f"{platform.system()} {platform.machine()}"
    return f"{system}, {os.cpu_count()} CPUs{memory}, Python {platform.python_version()}"


def _item_edits(soak: Soak) -> list[str]:
    """What the item edits asked for, and how their pricing went: an edit is priced live before it is a
    request, so one Shopify never priced is not a request (neither lost nor in the table above)."""
    stats = soak.stats
    planned = stats.get("edits_planned") or {}
    if not planned:
        return []
    flavours = ", ".join(f"{flavour} {count}" for flavour, count in sorted(planned.items()))
    unpriced = stats["unpriced"]
    lines = [
        f"Item edits planned: {sum(planned.values())} ({flavours}). Priced by Shopify before the submit, "
        f"as the shopper's confirm page does, asking again up to {PRICE_ATTEMPTS} times "
        f"{PRICE_RETRY_SECONDS:g} s apart while Shopify was unavailable: "
        f"{stats['priced_after_retry']} needed more than one try "
        f"({stats['price_retries']} tries failed). Never priced: {len(unpriced) or 'none'}; such an edit "
        "never became a request, so it is not lost, and the reconciliation still counts any commit no "
        "request asked for as a mismatch.",
        "",
    ]
    if unpriced:
        lines += [*(f"- never priced: {item}" for item in unpriced[:20]), ""]
    if stats["priced_differently"]:
        lines += [
            "Priced differently from the plan's difference (no taxes, shipping unchanged):",
            "",
            *(f"- {item}" for item in stats["priced_differently"][:20]),
            "",
        ]
    return lines


DECIDED_BY = {
    "auto": "approved by the policy",
    "approve": "approved in our console",
    "reject": "rejected in our console",
    "shopify_approve": "approved in Shopify's admin",
    "shopify_decline": "declined in Shopify's admin",
}


def _by_kind(verdict: Verdict) -> list[str]:
    """The verdict's line, kind by kind: a guest's request counts under its kind and under "guest"."""
    return [
        "| kind | requests | lost | duplicated | mismatched |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {kind} | {counts['requests']} | {counts['lost']} | {counts['duplicated']} | "
            f"{counts['mismatched']} |"
            for kind, counts in sorted(
                verdict.kinds.items(), key=lambda item: (item[0] == NO_REQUEST, item[0])
            )
        ),
        "",
        "A withdrawal counts as what it became (a cancel when nothing had shipped, else a return of what "
        f"had); a guest's request under its kind and under `guest`; `{NO_REQUEST}`: orders nobody asked "
        "about (their holds).",
        "",
    ]


def _returns_withdrawals_guests(soak: Soak, verdict: Verdict) -> list[str]:
    """What the returns, withdrawals and guests went through."""
    stats = soak.stats
    planned = stats.get("returns_planned") or {}
    if not planned:
        return []
    decided = ", ".join(f"{DECIDED_BY.get(way, way)} {n}" for way, n in sorted(planned.items()))
    in_shopify = ", ".join(f"{outcome} {n}" for outcome, n in sorted(verdict.returns.items())) or "none"
    console = stats["decided_in_console_instead"]
    retries = ", ".join(f"{kind} {n}" for kind, n in sorted(stats["live_retries"].items())) or "none"
    twice = ", ".join(f"{code} {n}" for code, n in sorted(stats["twice"].items())) or "none"
    withdrawals = ", ".join(f"{what} {n}" for what, n in sorted(stats["withdrawals"].items())) or "none"
    shopify = ", ".join(f"{verb} {n}" for verb, n in sorted(stats["shopify_decided"].items())) or "none"
    lines = [
        "## Returns, withdrawals, guests",
        "",
        f"Returns planned (withdrawals of shipped goods included): {sum(planned.values())} ({decided}); "
        "each on an order shipped days before (all of it, or its first line), asked for through the return "
        "page's steps (the shipped lines read live, then the confirm). Decided in Shopify's admin: "
        f"{shopify}; decided in our console instead, Shopify never having shown the return in time: "
        f"{len(console) or 'none'}. At the end, each return request by state and its return in Shopify: "
        f"{in_shopify}.",
        "",
        f"EU withdrawals taken, by what the order was: {withdrawals}. Acknowledgements are counted in the "
        "e-mails the run sent (`soak.mail`).",
        "",
        f"Returns and withdrawals confirmed twice at once (a double click): {stats.get('twice_planned', 0)}; "
        f"the second confirmation refused with: {twice}; both accepted: "
        f"{len(stats['twice_accepted']) or 'none'}. Guests (a lookup code's pass, no account): "
        f"{stats['guest_requests']} requests. Pages that read Shopify live and had to ask again: {retries}.",
        "",
    ]
    for title, items in (
        ("decided in our console instead", console),
        ("both confirmations accepted", stats["twice_accepted"]),
        ("decision in Shopify's admin failed", stats["shopify_decision_errors"]),
    ):
        if items:
            lines += [*(f"- {title}: {item}" for item in items[:20]), ""]
    return lines


def _holds(soak: Soak, verdict: Verdict) -> list[str]:
    """What the fulfilment holds went through, from the portal's records and the store's orders."""
    story, stats = verdict.holds, soak.stats
    if not story:
        return []
    released = {key.removeprefix("released: "): n for key, n in story.items() if key.startswith("released: ")}
    quiet = stats.get("quiet") or {}
    errors = stats["merchant_release_errors"]
    roles = ", ".join(f"{role} {n}" for role, n in quiet.items())
    gone = story["merchant holds gone with the order's cancel"]
    lines = [
        "## Fulfilment holds",
        "",
        "The policy holds fulfilment while shoppers may still change an order (every window "
        f"{WINDOW_MINUTES} min; hold `{HOLD_HANDLE}`). Quiet orders, which nobody asks about, have "
        f"windows that end during the run ({roles}); the beat's sweep releases those. The warehouse "
        "picks no order on hold: to ship an order right after its shopper asked, the merchant first "
        "releases the portal's hold (the console's 'release now'). A merchant's own hold, "
        f"`{MERCHANT_HOLD_HANDLE}`, on some orders must outlive every release of ours.",
        "",
        f"- orders held by the portal: {story['orders held']} "
        f"(at the end of the set-up: {stats['holds_placed_by_setup']}); never held: "
        f"{story['orders never held']} (fulfilment orders Shopify would not hold: "
        f"{story['not held (Shopify would not)']})",
        "- released: "
        + (", ".join(f"by {who} {n}" for who, n in sorted(released.items())) or "none")
        + f"; still held at the end: {story['still held at the end']}",
        f"- merchant's own holds (`{MERCHANT_HOLD_HANDLE}`) planted: {len(soak.merchant_holds)}; kept: "
        f"{story['merchant holds kept']}; gone with the order's cancel: {gone}",
        f"- the merchant released holds in the console: {stats['merchant_released']} (errors: "
        f"{len(errors) or 'none'}); the warehouse shipped {stats['fulfilled']} orders right after the ask "
        f"and {stats['shipped_after_release']} quiet orders once their window's hold came off; it left "
        f"{stats['fulfil_held']} on hold",
        "",
    ]
    if errors:
        lines += [*(f"- merchant's release: {item}" for item in errors[:20]), ""]
    return lines


def write_report(path: Path, *, soak: Soak, verdict: Verdict, total_seconds: float) -> None:
    options = soak.options
    lines = [
        "# Soak",
        "",
        "The latest `make soak` (`python -m soak`): the portal, two Celery workers, beat, Redis and a",
        "devstore under injected faults, a worker killed and Redis stopped mid-run; then a reconciliation",
        "of every request and order against the store. Regenerated by each run; see `soak/`.",
        "",
        "```",
        verdict.line,
        "```",
        "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {_machine()}",
        f"- options: `--requests {options.requests} --minutes {options.minutes:g} --redis-outage-seconds "
        f"{options.redis_outage_seconds:g} --workers {options.workers} --fault-rate {options.fault_rate:g} "
        f"--seed {options.seed}` (submissions spread over {options.submit_seconds:.0f} s)",
        *(f"- {note}" for note in soak.notes),
        f"- total: {total_seconds:.0f} s; "
        + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in soak.timeline.phases.items()),
        "",
        "## Timeline",
        "",
        *(f"- {at:6.1f} s  {what}" for what, at in soak.timeline.marks),
        "",
        "## Requests",
        "",
        "| kind, final state (failure) | requests |",
        "|---|---:|",
        *(f"| {state} | {count} |" for state, count in sorted(verdict.states.items())),
        "",
        *_by_kind(verdict),
        f"Refused at submit: {soak.stats['refused'] or 'none'}. Orders shipped by the store right after the "
        f"shopper asked (the merchant released the portal's hold first): {soak.stats['fulfilled']} (and "
        f"{soak.stats['fulfil_refused']} too late, already cancelled). Moderated decisions: "
        f"{soak.stats['moderated']}.",
        "",
        *_item_edits(soak),
        *_returns_withdrawals_guests(soak, verdict),
        *_holds(soak, verdict),
        "## The store's view",
        "",
        "Admin API mutations received, by outcome (`ok` is applied; `fault:*` and `throttled` were not):",
        "",
        *(f"- {key}: {count}" for key, count in soak.stats.get("calls", {}).items()),
        "",
        "Webhook delivery attempts, by outcome:",
        "",
        *(f"- {key}: {count}" for key, count in soak.stats.get("webhooks", {}).items()),
        "",
    ]
    for title, items in (
        ("Lost", verdict.lost),
        ("Duplicated", verdict.duplicated),
        ("Mismatched", verdict.mismatched),
    ):
        if items:
            lines += [f"## {title}", "", *(f"- {item}" for item in items[:50]), ""]
            if len(items) > 50:
                lines += [f"- … and {len(items) - 50} more", ""]
    path.write_text("\n".join(lines))
