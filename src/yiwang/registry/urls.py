from django.urls import path

from yiwang.registry import views

app_name = "registry"
urlpatterns = [
    path("", views.search, name="search"),
    path("register/", views.register, name="register"),
    path("lookup/", views.lookup, name="lookup"),
    path("mine/", views.mine, name="mine"),
    path("<int:entity_id>/", views.detail, name="detail"),
    path("<int:entity_id>/edit/", views.edit, name="edit"),
    path("<int:entity_id>/sync/", views.sync, name="sync"),
    path("<int:entity_id>/status/", views.change_status, name="status"),
    path("<int:entity_id>/qualifications/", views.qualifications, name="qualifications"),
    path(
        "<int:entity_id>/qualifications/<int:qualification_id>/",
        views.qualification_edit,
        name="qualification_edit",
    ),
    path("<int:entity_id>/personnel/", views.personnel, name="personnel"),
    path("<int:entity_id>/personnel/<int:personnel_id>/", views.personnel_edit, name="personnel_edit"),
    path("<int:entity_id>/bank-account/", views.bank_account, name="bank_account"),
]
