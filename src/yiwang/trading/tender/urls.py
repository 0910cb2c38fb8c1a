"""``/tender/``: the tender pages (mounted by ``config/urls.py`` under ``tender/``)."""

from django.urls import path

from yiwang.trading.tender import views

app_name = "tender"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("staff/", views.staff_home, name="staff"),
    path("new/", views.project_new, name="new"),
    path("projects/<int:project_id>/", views.project_detail, name="project"),
    path("projects/<int:project_id>/documents/", views.document_upload, name="document_upload"),
    path("projects/<int:project_id>/publish/", views.project_publish, name="publish"),
    path("projects/<int:project_id>/clarify/", views.clarify, name="clarify"),
    path("projects/<int:project_id>/ask/", views.ask, name="ask"),
    path("documents/<int:document_id>/download/", views.document_download, name="download"),
    path("sections/<int:section_id>/", views.section_detail, name="section"),
    path("sections/<int:section_id>/bid/", views.submit_bid, name="bid"),
    path("sections/<int:section_id>/withdraw/", views.withdraw_bid, name="withdraw"),
    path("sections/<int:section_id>/objection/", views.objection, name="objection"),
    path("objections/<int:objection_id>/answer/", views.answer_objection, name="answer"),
    path("sections/<int:section_id>/hall/", views.hall, name="hall"),
    path("sections/<int:section_id>/hall/status/", views.hall_status, name="hall_status"),
    path("sections/<int:section_id>/close-opening/", views.close_opening, name="close_opening"),
    path("sections/<int:section_id>/result/", views.record_result, name="result"),
    path("sections/<int:section_id>/candidates/", views.publish_candidates, name="candidates"),
    path("sections/<int:section_id>/award/", views.award, name="award"),
    path("sections/<int:section_id>/contract/", views.contract, name="contract"),
    path("sections/<int:section_id>/performance/", views.performance, name="performance"),
    path("sections/<int:section_id>/cancel/", views.cancel, name="cancel"),
    path("sections/<int:section_id>/fail/", views.fail, name="fail"),
    path("sections/<int:section_id>/retender/", views.retender, name="retender"),
]
