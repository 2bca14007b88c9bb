"""`POST /shopify/webhooks/`: verify, store, queue — and answer Shopify in milliseconds.

Nothing here calls Shopify or reads the order: the body is checked (size, signature, shop), parsed as
JSON, and kept once per `X-Shopify-Webhook-Id` and once per event (`X-Shopify-Event-Id` of the shop and
topic): order topics in the Redis intake buffer when there is one
(a worker drains it into the database in batches; see `intake.py`), everything else stored in the
database, its processing queued after the row commits.

Answers: 413 over 1 MB (Content-Length checked before reading, and never more read than that); 401 for a
missing or wrong signature (`SHOPIFY_CLIENT_SECRET` and every secret in `SHOPIFY_API_SECRET` are tried, for
rotation) or another shop's domain, nothing stored; 400 without a webhook id or topic, when the body is
not a JSON object, or when it is not shaped like its topic's (or a destructive topic was triggered long ago:
`shapes.py`), nothing stored; 200 otherwise. A repeated webhook id, or an event already kept under another
webhook id, gets 200 and is neither stored nor processed again (in the Redis intake, the drain drops the
copy). A topic the portal does not handle gets 200 and is stored already marked processed (visible in
admin, never queued), so a stray subscription is noticed without Shopify retrying it. Once the delivery is
kept the answer is 200 even if the broker is down: the `webhook_deliveries_retry_unprocessed` beat drains and
retries.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from shopify_sync.selectors import shop_is_served, webhook_secrets
from shopify_sync.services.webhooks import webhook_delivery_accept
from shopify_sync.tasks import webhook_delivery_enqueue_on_commit, webhook_intake_drain_enqueue_on_commit
from shopify_sync.webhooks.intake import IncomingDelivery
from shopify_sync.webhooks.payloads import PayloadError, parse_datetime
from shopify_sync.webhooks.shapes import payload_mismatch, unstorable
from shopify_sync.webhooks.signature import signature_is_valid

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # Shopify's order bodies are tens of kB; anything this big is not Shopify
_MAX_HEADER_LENGTH = 100


@csrf_exempt
@require_POST
def shopify_webhook(request: HttpRequest) -> HttpResponse:
    try:
        declared_length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return HttpResponse("bad Content-Length", status=400)
    if declared_length > MAX_BODY_BYTES:
        return HttpResponse("body too large", status=413)
    body = request.read(MAX_BODY_BYTES + 1)  # never more than the limit, whatever the header said
    if len(body) > MAX_BODY_BYTES:
        return HttpResponse("body too large", status=413)

    if not signature_is_valid(
        body=body,
        signature=request.headers.get("X-Shopify-Hmac-Sha256", ""),
        secrets=webhook_secrets(),
    ):
        logger.warning("webhook with a missing or wrong signature from %s", request.META.get("REMOTE_ADDR"))
        return HttpResponse("invalid signature", status=401)
    shop_domain = request.headers.get("X-Shopify-Shop-Domain", "").strip().lower()
    if not shop_is_served(shop_domain):
        logger.warning("signed webhook for another shop: %r", shop_domain)
        return HttpResponse("unknown shop", status=401)

    webhook_id = request.headers.get("X-Shopify-Webhook-Id", "").strip()
    topic = request.headers.get("X-Shopify-Topic", "").strip().lower()
    if not webhook_id or not topic or len(webhook_id) > _MAX_HEADER_LENGTH or len(topic) > _MAX_HEADER_LENGTH:
        return HttpResponse("missing X-Shopify-Webhook-Id or X-Shopify-Topic", status=400)
    try:
        triggered_at = parse_datetime(request.headers.get("X-Shopify-Triggered-At"))
    except PayloadError:
        triggered_at = None
    incoming = IncomingDelivery(
        webhook_id=webhook_id,
        topic=topic,
        shop_domain=shop_domain,
        api_version=request.headers.get("X-Shopify-API-Version", "")[:16],
        event_id=request.headers.get("X-Shopify-Event-Id", "").strip()[:_MAX_HEADER_LENGTH],
        triggered_at=triggered_at,
        received_at=timezone.now(),
        body=body,
    )
    try:
        payload = incoming.payload
    except (ValueError, RecursionError):  # ValueError includes UnicodeDecodeError
        return HttpResponse("body is not JSON", status=400)
    # Checked here so that storage (perhaps later, in a drain) cannot fail on it.
    if not isinstance(payload, dict):
        return HttpResponse("body is not a JSON object", status=400)
    problem = unstorable(payload)
    if problem:
        logger.warning("signed webhook refused for %s (%s): the body holds %s", shop_domain, topic, problem)
        return HttpResponse("body cannot be stored", status=400)
    mismatch = payload_mismatch(
        topic=topic,
        payload=payload,
        shop_domain=shop_domain,
        triggered_at=triggered_at,
        now=incoming.received_at,
    )
    if mismatch:
        # A genuine body replayed under another topic (the topic header is not signed), or too late.
        logger.warning("signed webhook refused for %s (%s): %s", shop_domain, topic, mismatch)
        return HttpResponse("body does not match its topic", status=400)

    accepted = webhook_delivery_accept(delivery=incoming)
    # Autocommit: a stored row is already committed; these queue now (or after a test's atomic).
    if accepted.delivery_id is not None:
        webhook_delivery_enqueue_on_commit(accepted.delivery_id)
    if accepted.drain_needed:
        webhook_intake_drain_enqueue_on_commit()
    return HttpResponse(status=200)
