"""``/messages/``: the inbox pages (mounted by ``config/urls.py`` under ``messages/``)."""

from django.urls import path

from yiwang.platform.notify import views

app_name = "notify"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read-all/", views.mark_all_read, name="read_all"),
    path("<int:message_id>/", views.message, name="message"),
    path("<int:message_id>/read/", views.mark_read, name="read"),
]
