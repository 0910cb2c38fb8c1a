from django.urls import path

from yiwang.supervision.complaints import views

app_name = "complaints"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("<int:complaint_id>/", views.detail, name="detail"),
    path("<int:complaint_id>/step/", views.step, name="step"),
]
