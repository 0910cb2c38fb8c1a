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
    path("quality/mine/", views.my_report, name="my_report"),
    path("quality/<str:platform_code>/", views.report, name="report"),
    path("quality/<str:platform_code>/findings.csv", views.report_csv, name="report_csv"),
]
