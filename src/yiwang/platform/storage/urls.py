"""``/files/<token>``: signed download links (mounted by ``config/urls.py`` under ``files/``)."""

from django.urls import path

from yiwang.platform.storage import views

app_name = "storage"
urlpatterns = [
    path("<str:token>", views.download, name="download"),
]
