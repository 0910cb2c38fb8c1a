from django.urls import path

from yiwang.services.witness import views

app_name = "onsite"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("irregularities/", views.irregularities, name="irregularities"),
    path("<int:record_id>/", views.record, name="record"),
    path("<int:record_id>/correct/", views.correct, name="correct"),
]
