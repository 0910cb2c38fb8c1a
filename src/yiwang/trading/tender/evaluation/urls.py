from django.urls import path

from yiwang.trading.tender.evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("", views.index, name="index"),
    path("documents/<str:token>/", views.document_by_link, name="document"),
    path("<int:evaluation_id>/", views.detail, name="detail"),
    path("<int:evaluation_id>/check-in/", views.check_in, name="check_in"),
    path("<int:evaluation_id>/seat/", views.seat, name="seat"),
    path("<int:evaluation_id>/convene/", views.convene, name="convene"),
    path("<int:evaluation_id>/chair/", views.chair, name="chair"),
    path("<int:evaluation_id>/review/<str:stage>/", views.review_sheet, name="review"),
    path("<int:evaluation_id>/scoring/", views.score_sheet, name="scoring"),
    path("<int:evaluation_id>/stages/<str:stage>/close/", views.close_stage, name="close_stage"),
    path("<int:evaluation_id>/members/<int:member_id>/return/", views.return_sheet, name="return_sheet"),
    path("<int:evaluation_id>/bids/<int:bid_id>/price/", views.change_price, name="change_price"),
    path("<int:evaluation_id>/bids/<int:bid_id>/clarification/", views.issue_clarification, name="issue_clarification"),
    path(
        "<int:evaluation_id>/bids/<int:bid_id>/clarification/answer/",
        views.answer_clarification,
        name="answer_clarification",
    ),
    path(
        "<int:evaluation_id>/bids/<int:bid_id>/clarification/decision/",
        views.decide_clarification,
        name="decide_clarification",
    ),
    path("<int:evaluation_id>/bids/<int:bid_id>/documents/<int:index>/", views.document, name="bid_document"),
    path("<int:evaluation_id>/time-short/", views.time_short, name="time_short"),
    path("<int:evaluation_id>/extend/", views.extend, name="extend"),
    path("<int:evaluation_id>/report/", views.report, name="report"),
    path("<int:evaluation_id>/report.pdf", views.report_pdf, name="report_pdf"),
    path("<int:evaluation_id>/finalise/", views.finalise, name="finalise"),
    path("<int:evaluation_id>/awarded/", views.awarded, name="awarded"),
    path("<int:evaluation_id>/cancel/", views.cancel, name="cancel"),
]
