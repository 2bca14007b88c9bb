from django.urls import path

from portal import item_edit_views, request_views, return_views, views, withdrawal_views

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="list"),
    path("<int:legacy_id>/", views.order_detail, name="detail"),
    path("<int:legacy_id>/cancel/", views.order_cancel, name="cancel"),
    path("<int:legacy_id>/address/", views.order_address, name="address"),
    path("<int:legacy_id>/items/", item_edit_views.order_items, name="items"),
    path("<int:legacy_id>/return/", return_views.order_return, name="return"),
    path("<int:legacy_id>/withdraw/", withdrawal_views.order_withdraw, name="withdraw"),
    path(
        "<int:legacy_id>/requests/<int:request_id>/withdraw/",
        request_views.request_take_back,
        name="withdraw_request",
    ),
]
