"""A shop's self-service policy: created with sensible defaults the first time anything needs it."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from cancellations.defaults import DEFAULT_REASONS
from cancellations.models import CancelReason, Policy
from shopify_sync.models import Shop


def policy_get_or_create(*, shop: Shop) -> Policy:
    """The shop's policy; a new one starts from the model's defaults and a copy of the default reasons.

    Race-safe: two first requests at once both try to create it, the one-to-one constraint lets one win
    and the other reads the winner's row.
    """
    policy = Policy.objects.filter(shop=shop).first()
    if policy is not None:
        return policy
    try:
        with transaction.atomic():
            policy = Policy.objects.create(shop=shop)
            CancelReason.objects.bulk_create(_default_reasons(policy))
    except IntegrityError:
        return Policy.objects.get(shop=shop)
    return policy


def _default_reasons(policy: Policy) -> list[CancelReason]:
    """Copies of the template reasons (policy=None, editable in admin), or of the built-in list when the
    templates are gone: a shop must never start with no reason a shopper can pick."""
    templates = CancelReason.objects.filter(policy__isnull=True).order_by("position", "pk")
    copies = [
        CancelReason(
            policy=policy,
            code=t.code,
            label_en=t.label_en,
            label_ko=t.label_ko,
            position=t.position,
            active=t.active,
            requires_text=t.requires_text,
        )
        for t in templates
    ]
    if copies:
        return copies
    return [
        CancelReason(
            policy=policy,
            code=code,
            label_en=label_en,
            label_ko=label_ko,
            position=(index + 1) * 10,
            requires_text=requires_text,
        )
        for index, (code, label_en, label_ko, requires_text) in enumerate(DEFAULT_REASONS)
    ]
