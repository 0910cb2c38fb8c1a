from django.urls import path

from yiwang.trading.tender import views

app_name = "tender"
urlpatterns = [
    path("", views.project_list, name="list"),
]
