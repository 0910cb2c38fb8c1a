"""Archive pages (mounted by ``config/urls.py`` under ``archive/``)."""

from django.urls import path

from yiwang.services.archive import views

app_name = "archive"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("holds/new/", views.place_hold, name="place_hold"),
    path("<int:archive_id>/", views.detail, name="detail"),
    path("<int:archive_id>/versions/", views.new_version, name="new_version"),
    path("<int:archive_id>/dispose/", views.dispose, name="dispose"),
    path("<int:archive_id>/holds/<int:hold_id>/release/", views.release_hold, name="release_hold"),
    path("<int:archive_id>/v<int:number>/manifest.json", views.manifest, name="manifest"),
    path("<int:archive_id>/v<int:number>/download", views.download, name="download"),
]
