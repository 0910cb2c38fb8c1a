from django.urls import path

from yiwang.supervision.credit import views

app_name = "credit"
urlpatterns = [
    path("", views.index, name="index"),
    path("entities/<int:entity_id>/", views.entity, name="entity"),
    path("entities/<int:entity_id>/check/", views.check_external, name="check_external"),
    path("records/new/", views.new_record, name="new_record"),
    path("records/<int:record_id>/", views.record, name="record"),
    path("records/<int:record_id>/end/", views.end_record, name="end_record"),
    path("records/<int:record_id>/repair/", views.request_repair, name="request_repair"),
    path("repairs/", views.repairs, name="repairs"),
    path("repairs/<int:repair_id>/decide/", views.decide_repair, name="decide_repair"),
]
