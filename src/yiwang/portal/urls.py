from django.urls import path

from yiwang.platform.web.i18n import set_language
from yiwang.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("workbench/", views.workbench, name="workbench"),
    path("language/", set_language, name="set_language"),
]
