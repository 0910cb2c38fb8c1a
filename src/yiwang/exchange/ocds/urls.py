from django.urls import path

from yiwang.exchange.ocds import views

app_name = "ocds"
urlpatterns = [
    path("", views.index, name="index"),
    path("import/", views.import_file, name="import"),
    path("records/<path:ocid>/", views.record, name="record"),
]
