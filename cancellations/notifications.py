"""E-mails about requests: to the shopper in the language they asked in, to the merchant's staff.

Every e-mail hangs off an audit event marked `notify` (an outbox): a task sends it after the event's
transaction committed, and the sweeper re-queues events still unsent (broker down at the time). An event
is claimed before sending (`notified_at`), so a task delivered twice sends once.
"""

from __future__ import annotations

import logging
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils import timezone, translation

from cancellations.item_edits import extra_due
from cancellations.models import CancelReason, Request, RequestEvent
from cancellations.offers import bonus_code
from cancellations.policy import failure_message
from shopify_sync.selectors import merchant_recipients

logger = logging.getLogger(__name__)

SHOPPER_TEMPLATES: dict[str, str] = {
    Request.State.SUBMITTED: "submitted",
    Request.State.APPROVED: "approved",
    Request.State.REJECTED: "rejected",
    Request.State.COMPLETED: "completed",
    Request.State.FAILED: "failed",
}
MERCHANT_TEMPLATES: dict[str, str] = {
    Request.State.SUBMITTED: "needs_moderation",
    Request.State.FAILED: "failed",
}


def _reason_label(request: Request, language: str) -> str:
    if not request.reason_code:
        return ""
    reason = (
        CancelReason.objects.filter(policy__shop=request.order.shop_id, code=request.reason_code).first()
        or CancelReason.objects.filter(policy__isnull=True, code=request.reason_code).first()
    )
    return reason.label(language) if reason else request.reason_code


def _render(name: str, context: dict, *, language: str, to: list[str]) -> EmailMultiAlternatives:
    with translation.override(language):
        subject = " ".join(render_to_string(f"emails/requests/{name}_subject.txt", context).split())
        text = render_to_string(f"emails/requests/{name}.txt", context)
        html = render_to_string(f"emails/requests/{name}.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=to
    )
    message.attach_alternative(html, "text/html")
    return message


def _context(event: RequestEvent, language: str) -> dict:
    request = event.request
    with translation.override(language):
        failure = str(failure_message(request)) if request.state == Request.State.FAILED else ""
    return {
        "request": request,
        "event": event,
        "order": request.order,
        "shop_name": request.order.shop.name or request.order.shop.domain,
        "reason_label": _reason_label(request, language),
        "shopper_failure": failure,
        "is_cancel": request.kind == Request.Kind.CANCEL,
        "is_item_edit": request.kind == Request.Kind.ITEM_EDIT,
        "is_keep_bonus": request.kind == Request.Kind.KEEP_BONUS,
        "is_return": request.kind == Request.Kind.RETURN,
        # Derived, never stored: only the shopper's own e-mail carries it.
        "gift_card_code": bonus_code(request.pk) if request.kind == Request.Kind.KEEP_BONUS else "",
        "extra_due": extra_due(request.edit_preview) if request.edit_preview else 0,
        "portal_url": portal_url(request.order.shop),
    }


def portal_url(shop) -> str:
    """Links in a shopper's e-mail go to their store's portal (its host, with PORTAL_BASE_URL's scheme)."""
    base = getattr(settings, "PORTAL_BASE_URL", "").rstrip("/")
    if shop.portal_host:
        return f"{urlsplit(base).scheme or 'https'}://{shop.portal_host}"
    return base


def emails_for_event(event: RequestEvent) -> list[EmailMultiAlternatives]:
    """The e-mails one event sends (none for a push step, which changes no state)."""
    if not event.notify or event.from_state == event.to_state:
        return []
    request = event.request
    messages = []
    shopper_email = request.shopper_email or request.order.email
    shopper_template = SHOPPER_TEMPLATES.get(event.to_state)
    if shopper_template and shopper_email:
        language = request.language or settings.LANGUAGE_CODE
        messages.append(
            _render(
                f"shopper_{shopper_template}",
                _context(event, language),
                language=language,
                to=[shopper_email],
            )
        )
    merchant_template = MERCHANT_TEMPLATES.get(event.to_state)
    merchants = merchant_recipients(request.order.shop) if merchant_template else []
    if merchants:
        messages.append(
            _render(
                f"merchant_{merchant_template}",
                _context(event, settings.LANGUAGE_CODE),
                language=settings.LANGUAGE_CODE,
                to=merchants,
            )
        )
    return messages


def request_event_notify(*, event_id: int, now: datetime | None = None) -> int:
    """Send the e-mails of one event, once. Returns how many were sent (0: nothing to send, or sent
    already). On a sending error the claim is undone and the error raised, so the task retries."""
    now = now or timezone.now()
    claimed = RequestEvent.objects.filter(pk=event_id, notify=True, notified_at__isnull=True).update(
        notified_at=now
    )
    if not claimed:
        return 0
    event = RequestEvent.objects.select_related("request__order__shop").get(pk=event_id)
    try:
        messages = emails_for_event(event)
        if messages:
            get_connection().send_messages(messages)
    except Exception:
        RequestEvent.objects.filter(pk=event_id).update(notified_at=None)
        raise
    logger.info("event %s of request %s: %d e-mails sent", event_id, event.request_id, len(messages))
    return len(messages)
