from django.urls import path

from yiwang.exchange.subplatform import views

app_name = "exchange"
urlpatterns = [
    path("", views.index, name="index"),
    path("register/", views.register, name="register"),
    path("records/", views.records, name="records"),
    path("records/<int:record_id>/", views.record, name="record"),
    path("refusals/", views.refusals, name="refusals"),
    path("quality/", views.quality, name="quality"),
]
