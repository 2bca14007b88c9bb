"""Fill: every decided request gets its plan of outbox rows, built from the push columns it had.

What an earlier push recorded carries over, so nothing is sent twice after the upgrade: the intent
(`push_intent_at` → `first_sent_at`), the last call and its answer, the cancel job, the confirmation,
and the partial refund's intent and id. A refund that may already be in flight keeps the idempotency key
it was sent with (`portal-request-<id>-refund`), so a resend meets Shopify's record of it.
"""

from django.db import migrations

CANCEL_REFUND = {"full": "original", "store_credit": "store_credit"}
DECIDED = ("approved", "pushing", "completed", "failed")


def _staff_note(request):
    note = f"Self-service request #{request.pk} by {request.shopper_email or 'the shopper'}: "
    note += request.reason_code or "-"
    text = " ".join(request.reason_text.split())
    if text:
        note += f" — {text}"
    return note if len(note) <= 255 else note[:254] + "…"


def _key(request_id, position):
    return f"portal-request-{request_id}-call-{position}-attempt-1"


def _call_state(*, confirmed, started, answered, result_id):
    if confirmed:
        return "confirmed"
    if started and (answered is None or answered < started):
        return "sent"
    if answered and result_id:
        return "answered"
    return "planned"


def forwards(apps, schema_editor):
    Request = apps.get_model("cancellations", "Request")
    ShopifyMutation = apps.get_model("cancellations", "ShopifyMutation")
    requests = Request.objects.filter(state__in=DECIDED).select_related("order").order_by("pk")
    for request in requests.iterator(chunk_size=500):
        if request.mutations.exists():
            continue
        completed = request.state == "completed"
        confirmed_at = request.shopify_confirmed_at or (request.completed_at if completed else None)
        first = {
            "request": request,
            "position": 1,
            "idempotency_key": _key(request.pk, 1),
            "first_sent_at": request.push_intent_at,
            "sent_at": request.shopify_call_started_at,
            "answered_at": request.shopify_call_answered_at,
            "confirmed_at": confirmed_at,
            "result_id": request.shopify_job_id,
            "sends": 1 if request.push_intent_at else 0,
            "state": _call_state(
                confirmed=confirmed_at,
                started=request.shopify_call_started_at,
                answered=request.shopify_call_answered_at,
                result_id=request.shopify_job_id,
            ),
        }
        rows = []
        if request.kind == "cancel":
            rows.append(
                ShopifyMutation(
                    operation="orderCancel",
                    variables={
                        "order_gid": request.order.shopify_gid,
                        "refund": CANCEL_REFUND.get(request.refund),
                        "restock": request.restock,
                        "notify_customer": request.notify_customer,
                        "staff_note": _staff_note(request),
                        "reason": "CUSTOMER",
                    },
                    **first,
                )
            )
            if request.refund == "partial":
                refunded = bool(request.shopify_refund_id) or completed
                rows.append(
                    ShopifyMutation(
                        request=request,
                        position=2,
                        operation="refundCreate",
                        variables={
                            "order_gid": request.order.shopify_gid,
                            "amount": str(request.refund_amount),
                            "note": f"Self-service request #{request.pk}: partial refund",
                            "notify": request.notify_customer,
                        },
                        idempotency_key=f"portal-request-{request.pk}-refund",
                        first_sent_at=request.refund_intent_at,
                        sent_at=request.refund_intent_at,
                        sends=1 if request.refund_intent_at else 0,
                        result_id=request.shopify_refund_id if request.shopify_refund_id != "unknown" else "",
                        confirmed_at=(request.completed_at or request.updated_at) if refunded else None,
                        state="confirmed" if refunded else ("sent" if request.refund_intent_at else "planned"),
                    )
                )
        else:
            rows.append(
                ShopifyMutation(
                    operation="orderUpdate",
                    variables={"order_gid": request.order.shopify_gid, "address": request.requested_address or {}},
                    **first,
                )
            )
        if request.state == "failed":
            # The call the request failed on: the first one not confirmed.
            failed = next((row for row in rows if row.state != "confirmed"), None)
            if failed is not None:
                failed.state = "failed"
                failed.error = request.last_error or request.failure_code
        ShopifyMutation.objects.bulk_create(rows)


def backwards(apps, schema_editor):
    Request = apps.get_model("cancellations", "Request")
    ShopifyMutation = apps.get_model("cancellations", "ShopifyMutation")
    for request in Request.objects.filter(mutations__isnull=False).distinct().iterator(chunk_size=500):
        rows = {row.operation: row for row in ShopifyMutation.objects.filter(request=request)}
        main = rows.get("orderCancel") or rows.get("orderUpdate")
        refund = rows.get("refundCreate")
        if main is not None:
            request.push_intent_at = main.first_sent_at
            request.shopify_call_started_at = main.sent_at
            request.shopify_call_answered_at = main.answered_at
            request.shopify_confirmed_at = main.confirmed_at
            request.shopify_job_id = main.result_id if main.operation == "orderCancel" else ""
        if refund is not None:
            request.refund_intent_at = refund.first_sent_at
            request.shopify_refund_id = refund.result_id or ("unknown" if refund.state == "confirmed" else "")
        request.save()


class Migration(migrations.Migration):

    dependencies = [
        ("cancellations", "0005_shopifymutation"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
