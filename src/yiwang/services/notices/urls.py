"""``/notices/``: notice pages (mounted by ``config/urls.py`` under ``notices/``)."""

from django.urls import path

from yiwang.services.notices import views

app_name = "notices"
urlpatterns = [
    path("", views.notice_list, name="list"),
    path("subscriptions/", views.subscriptions, name="subscriptions"),
    path("subscriptions/<int:subscription_id>/toggle/", views.subscription_toggle, name="subscription_toggle"),
    path("subscriptions/<int:subscription_id>/delete/", views.subscription_delete, name="subscription_delete"),
    path("disclosure/", views.disclosure, name="disclosure"),
    path("<int:notice_id>/", views.notice_detail, name="detail"),
    path("<int:notice_id>.pdf", views.notice_pdf, name="pdf"),
]
