from django.urls import path

from yiwang.services.experts import views

app_name = "experts"
urlpatterns = [
    path("", views.index, name="index"),
    path("classification/", views.classification, name="classification"),
    path("pool/", views.pool, name="pool"),
    path("pool/new/", views.enrol, name="enrol"),
    path("pool/<int:expert_id>/", views.detail, name="detail"),
    path("pool/<int:expert_id>/edit/", views.edit, name="edit"),
    path("pool/<int:expert_id>/status/", views.change_status, name="status"),
    path("pool/<int:expert_id>/unavailability/", views.declare_unavailability, name="unavailability"),
    path("pool/<int:expert_id>/ties/", views.declare_tie, name="ties"),
    path("pool/<int:expert_id>/sanctions/", views.record_sanction, name="sanctions"),
    path("draws/", views.draws, name="draws"),
    path("draws/new/", views.draw_new, name="draw_new"),
    path("draws/<int:draw_id>/", views.draw, name="draw"),
    path("draws/<int:draw_id>/replay/", views.draw_replay, name="replay"),
    path("draws/<int:draw_id>/unseal/", views.draw_unseal, name="unseal"),
    path("draws/<int:draw_id>/supplement/", views.draw_supplement, name="supplement"),
    path("draws/<int:draw_id>/cancel/", views.draw_cancel, name="cancel"),
    path("draws/<int:draw_id>/seats/<int:seat_id>/check-in/", views.seat_check_in, name="check_in"),
    path("draws/<int:draw_id>/seats/<int:seat_id>/absent/", views.seat_absent, name="absent"),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/<int:seat_id>/answer/", views.answer, name="answer"),
]
