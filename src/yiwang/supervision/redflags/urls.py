from django.urls import path

from yiwang.supervision.redflags import views

app_name = "redflags"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:alert_id>/", views.alert, name="alert"),
    path("<int:alert_id>/act/", views.act, name="act"),
    path("runs/", views.runs, name="runs"),
    path("runs/start/", views.start_run, name="start_run"),
    path("runs/<int:run_id>/", views.run, name="run"),
    path("runs/<int:run_id>/cardinal.json", views.run_cardinal, name="run_cardinal"),
    path("indicators/", views.indicators, name="indicators"),
]
