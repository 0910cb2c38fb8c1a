from django.urls import path

from yiwang.trading.auction import views

app_name = "auction"

urlpatterns = [
    path("", views.index, name="index"),
    path("console/", views.console, name="console"),
    path("console/<int:lot_id>/", views.console_lot, name="console_lot"),
    path("<int:lot_id>/", views.lot, name="lot"),
    path("<int:lot_id>/panel/", views.panel, name="panel"),
]
