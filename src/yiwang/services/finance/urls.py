from django.urls import path

from yiwang.services.finance import views

app_name = "finance"
urlpatterns = [
    path("mine/", views.mine, name="mine"),
    path("fees/", views.fees, name="fees"),
    path("staff/", views.reconciliation, name="reconciliation"),
    path("staff/suspense/<int:notice_id>/assign/", views.assign, name="assign"),
    path("staff/lots/<str:lot_ref>/", views.lot_detail, name="lot"),
    path("simbank/", views.simbank, name="simbank"),
    path("guarantees/verify/", views.verify_guarantee, name="verify"),
    path("guarantees/apply/", views.apply_guarantee, name="apply"),
    path("issuer/", views.issuer_workbench, name="issuer"),
    path("staff/issuers/", views.issuers, name="issuers"),
    path("staff/issuers/<int:issuer_id>/status/", views.issuer_status, name="issuer_status"),
    path("settlements/", views.settlements, name="settlements"),
    path("settlements/<str:deal_ref>/", views.settlement_detail, name="settlement"),
    path("settlements/<str:deal_ref>/confirm/", views.confirm_transfer, name="confirm_transfer"),
]
