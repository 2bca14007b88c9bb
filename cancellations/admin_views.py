"""The moderation and insights pages of the merchant console. Thin: check the permission, parse the form,
call a service per request (or a selector), render. Reached through `RequestAdmin.get_urls`, so every
view runs inside `admin_site.admin_view` (staff only, CSRF, never cached)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.http.response import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cancellations import insights as reports
from cancellations import insights_offers as offer_reports
from cancellations.admin_forms import ApproveForm, InsightsRangeForm, RejectForm
from cancellations.errors import RequestNotAllowed
from cancellations.insights_charts import chart_data, reason_table
from cancellations.models import RefundMethod, Request
from cancellations.moderation import requests_for_decision
from cancellations.selectors import policy_for_shop
from cancellations.services import request_approve, request_reject, request_retry
from shopify_sync.models import Shop
from shopify_sync.selectors import scoped_to_staff

if TYPE_CHECKING:
    from cancellations.admin import RequestAdmin


def _ids(request: HttpRequest, ids: Iterable[Any] | None) -> list[Any]:
    if ids is not None:
        return list(ids)
    source = request.POST if request.method == "POST" else request.GET
    return [pk for value in source.getlist("ids") for pk in value.split(",")]


def _changelist(model_admin: RequestAdmin) -> str:
    return reverse(f"{model_admin.admin_site.name}:cancellations_request_changelist")


def _next_url(request: HttpRequest, model_admin: RequestAdmin) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return _changelist(model_admin)


def _context(model_admin: RequestAdmin, request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "media": model_admin.media,
        "next": request.POST.get("next") or request.GET.get("next") or "",
        **extra,
    }


def _each(
    request: HttpRequest,
    targets: list[Request],
    decide: Callable[[Request], Any],
    done: Callable[[int], str],
) -> int:
    """Run one service call per request (each its own transaction); report what went and what did not.
    Returns how many went."""
    decided = 0
    for target in targets:
        try:
            decide(target)
        except RequestNotAllowed as exc:
            messages.warning(request, f"#{target.pk} {target.order.name}: {exc.message}")
        else:
            decided += 1
    if decided:
        messages.success(request, done(decided))
    return decided


def _refund_decision(target: Request, data: dict[str, Any]) -> dict[str, Any]:
    """The form's refund for one request: a cancel's as chosen; an item edit's difference (the service
    takes Shopify's figure) or nothing; an address change moves no money."""
    if target.kind == Request.Kind.ITEM_EDIT:
        return {
            "refund": RefundMethod.PARTIAL if data["edit_refund"] else RefundMethod.NONE,
            "refund_amount": None,
        }
    if target.kind == Request.Kind.CANCEL:
        return {"refund": data["refund"], "refund_amount": data["refund_amount"]}
    return {"refund": RefundMethod.NONE, "refund_amount": None}


def approve(
    model_admin: RequestAdmin, request: HttpRequest, ids: Iterable[Any] | None = None
) -> HttpResponse:
    model_admin.moderate_or_403(request)
    targets = requests_for_decision(_ids(request, ids), staff=request.user)
    if not targets:
        messages.warning(request, _("Select at least one request."))
        return HttpResponseRedirect(_changelist(model_admin))
    policy = policy_for_shop(targets[0].order.shop)
    if request.method == "POST" and "confirm" in request.POST:
        form = ApproveForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            decided = _each(
                request,
                targets,
                lambda target: request_approve(
                    request=target,
                    moderator=request.user,
                    **_refund_decision(target, data),
                    restock=data["restock"],
                    notify=data["notify"],
                    message=data["message"],
                ),
                lambda count: (
                    ngettext(
                        "Approved %(count)d request; it is on its way to Shopify.",
                        "Approved %(count)d requests; they are on their way to Shopify.",
                        count,
                    )
                    % {"count": count}
                ),
            )
            if decided:
                return HttpResponseRedirect(_next_url(request, model_admin))
    else:
        form = ApproveForm.from_policy(policy)
    return TemplateResponse(
        request,
        "admin/cancellations/request/approve.html",
        _context(
            model_admin,
            request,
            ngettext("Approve %(count)d request", "Approve %(count)d requests", len(targets))
            % {"count": len(targets)},
            form=form,
            form_action=reverse(f"{model_admin.admin_site.name}:cancellations_request_approve"),
            targets=targets,
            not_waiting=[t for t in targets if t.state != Request.State.SUBMITTED],
            has_cancels=any(t.kind == Request.Kind.CANCEL for t in targets),
            has_item_edits=any(t.kind == Request.Kind.ITEM_EDIT for t in targets),
        ),
    )


def reject(model_admin: RequestAdmin, request: HttpRequest, ids: Iterable[Any] | None = None) -> HttpResponse:
    model_admin.moderate_or_403(request)
    targets = requests_for_decision(_ids(request, ids), staff=request.user)
    if not targets:
        messages.warning(request, _("Select at least one request."))
        return HttpResponseRedirect(_changelist(model_admin))
    if request.method == "POST" and "confirm" in request.POST:
        form = RejectForm(request.POST)
        if form.is_valid():
            decided = _each(
                request,
                targets,
                lambda target: request_reject(
                    request=target, moderator=request.user, message=form.cleaned_data["message"]
                ),
                lambda count: (
                    ngettext(
                        "Rejected %(count)d request; the shopper is told why.",
                        "Rejected %(count)d requests; the shoppers are told why.",
                        count,
                    )
                    % {"count": count}
                ),
            )
            if decided:
                return HttpResponseRedirect(_next_url(request, model_admin))
    else:
        form = RejectForm()
    return TemplateResponse(
        request,
        "admin/cancellations/request/reject.html",
        _context(
            model_admin,
            request,
            ngettext("Reject %(count)d request", "Reject %(count)d requests", len(targets))
            % {"count": len(targets)},
            form=form,
            form_action=reverse(f"{model_admin.admin_site.name}:cancellations_request_reject"),
            targets=targets,
            not_waiting=[t for t in targets if t.state != Request.State.SUBMITTED],
        ),
    )


def retry(model_admin: RequestAdmin, request: HttpRequest, ids: Iterable[Any] | None = None) -> HttpResponse:
    model_admin.moderate_or_403(request)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    targets = requests_for_decision(_ids(request, ids), staff=request.user)
    _each(
        request,
        targets,
        lambda target: request_retry(request=target, moderator=request.user),
        lambda count: (
            ngettext(
                "Sent %(count)d request to Shopify again.", "Sent %(count)d requests to Shopify again.", count
            )
            % {"count": count}
        ),
    )
    return HttpResponseRedirect(_next_url(request, model_admin))


# -- insights ------------------------------------------------------------------------------------------


def _span(request: HttpRequest) -> tuple[InsightsRangeForm, reports.DateRange]:
    shops = scoped_to_staff(Shop.objects.order_by("pk"), request.user, "pk")
    first = shops.first()
    default = reports.DateRange.last_weeks(12, shop_id=first.pk if first else None)
    initial = {"start": default.start, "end": default.end, "shop": default.shop_id}
    form = InsightsRangeForm(request.GET or initial, shops=shops)
    if form.is_valid():
        chosen = form.cleaned_data["shop"] or first
        return form, reports.DateRange(
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
            shop_id=chosen.pk if chosen else None,
        )
    return form, default


def _insights_or_403(request: HttpRequest) -> None:
    if not request.user.has_perm("cancellations.view_insights"):
        raise PermissionDenied


def insights(model_admin: RequestAdmin, request: HttpRequest) -> HttpResponse:
    _insights_or_403(request)
    form, span = _span(request)
    report = {
        "reasons": reports.cancels_by_reason_per_week(span),
        "rate": reports.cancellation_rate_per_week(span),
        "fixes": reports.address_fixes_per_week(span),
        "products": reports.most_cancelled_products(span),
        "delay": reports.median_hours_to_cancel_request_per_week(span),
        "money": reports.refunded_versus_kept_per_week(span),
        "offers": offer_reports.offers_by_kind(span),
        "offers_weekly": offer_reports.offers_per_week(span),
        "edits": offer_reports.item_edits_per_week(span),
    }
    reasons = reason_table(report["reasons"])
    return TemplateResponse(
        request,
        "admin/cancellations/insights.html",
        _context(
            model_admin,
            request,
            _("Cancellation insights"),
            form=form,
            span=span,
            several_shops=form.shop_count > 1,
            report=report,
            reasons=reasons,
            chart_data=chart_data(report, reasons),
        ),
    )


def insights_csv(model_admin: RequestAdmin, request: HttpRequest) -> StreamingHttpResponse:
    _insights_or_403(request)
    _form, span = _span(request)
    response = StreamingHttpResponse(reports.requests_csv_lines(span), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="requests-{span.start}-{span.end}-{stamp}.csv"'
    return response
