from django.urls import path

from yiwang.supervision.stats import views

app_name = "stats"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("alerts/", views.alerts_fragment, name="alerts"),
    path("complaints/", views.complaints_fragment, name="complaints"),
    path("alerts/<int:alert_id>/", views.alert_drill, name="alert"),
    path("report/", views.report, name="report"),
    path("report.pdf", views.report_pdf, name="report_pdf"),
    path("trades/", views.trades, name="trades"),
    path("projects/<int:project_id>/", views.project, name="project"),
]
