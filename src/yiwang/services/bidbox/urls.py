from django.urls import path

from yiwang.services.bidbox import views

app_name = "bidbox"
urlpatterns = [
    path("", views.index, name="index"),
    path("mine/", views.mine, name="mine"),
    path("<int:box_id>/", views.box_detail, name="box"),
    path("<int:box_id>/submit/", views.submit, name="submit"),
    path("<int:box_id>/hall/", views.hall, name="hall"),
    path("<int:box_id>/hall/status/", views.hall_status, name="hall_status"),
    path("<int:box_id>/manage/", views.manage, name="manage"),
    path("<int:box_id>/record/", views.record, name="record"),
    path("submissions/<uuid:submission_id>/", views.receipt, name="receipt"),
    path("submissions/<uuid:submission_id>/envelope/", views.envelope_download, name="envelope"),
    path("submissions/<uuid:submission_id>/withdraw/", views.withdraw, name="withdraw"),
    path("submissions/<uuid:submission_id>/decrypt/", views.decrypt, name="decrypt"),
    path("submissions/<uuid:submission_id>/fallback/", views.fallback, name="fallback"),
]
