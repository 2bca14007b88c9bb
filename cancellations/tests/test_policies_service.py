from __future__ import annotations

from cancellations.defaults import DEFAULT_REASONS
from cancellations.models import CancelReason
from cancellations.services import policy_get_or_create


def test_a_new_policy_starts_with_the_editable_template_reasons(shop):
    CancelReason.objects.filter(policy__isnull=True, code="other").update(label_en="Something else")

    policy = policy_get_or_create(shop=shop)

    reasons = list(policy.reasons.order_by("position").values_list("code", "label_en"))
    assert reasons[-1] == ("other", "Something else")
    assert [code for code, _ in reasons] == [code for code, *_ in DEFAULT_REASONS]


def test_a_new_policy_still_gets_reasons_when_the_templates_are_gone(shop):
    CancelReason.objects.filter(policy__isnull=True).delete()

    policy = policy_get_or_create(shop=shop)

    assert [r.code for r in policy.reasons.order_by("position")] == [code for code, *_ in DEFAULT_REASONS]
    assert policy.reasons.get(code="other").requires_text


def test_the_policy_is_created_once(shop):
    assert policy_get_or_create(shop=shop) == policy_get_or_create(shop=shop)
    assert CancelReason.objects.filter(policy__shop=shop).count() == len(DEFAULT_REASONS)
