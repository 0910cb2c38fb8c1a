from django.urls import path

from yiwang.trading.orderbook import views

app_name = "orderbook"

urlpatterns = [
    path("", views.index, name="index"),
    path("<str:code>/", views.market, name="market"),
    path("<str:code>/panel/", views.market_panel, name="market_panel"),
    path("<str:code>/account/", views.account, name="account"),
]
