from django.urls import path

from yiwang.identity.ca import views

app_name = "ca"
urlpatterns = [
    path("", views.trust_list, name="trust_list"),
    path("authorities/<int:ca_id>/", views.detail, name="detail"),
    path("certificates/", views.certificates, name="certificates"),
    path("certificates/<int:binding_id>/unbind/", views.unbind, name="unbind"),
    path("confirm/", views.confirm, name="confirm"),
    path("confirm/<str:challenge_id>/", views.challenge, name="challenge"),
    path("confirm/<str:challenge_id>/status/", views.challenge_status, name="challenge_status"),
]
