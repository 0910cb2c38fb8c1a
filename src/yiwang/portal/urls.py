from django.urls import path

from yiwang.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("workbench/", views.workbench, name="workbench"),
]
