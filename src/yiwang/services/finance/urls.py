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
]
