from django.urls import path

from yiwang.exchange.federation import views

app_name = "federation"
urlpatterns = [
    path("", views.index, name="index"),
    path("peers/", views.register, name="register"),
    path("ca-proposals/<int:proposal_id>/", views.decide_ca, name="decide_ca"),
]
