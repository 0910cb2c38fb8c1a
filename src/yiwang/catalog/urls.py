from django.urls import path

from yiwang.catalog import views

app_name = "catalog"
urlpatterns = [
    path("", views.index, name="index"),
    path("lists/<str:kind>/", views.list_detail, name="list"),
    path("lists/<str:kind>/diff/", views.list_diff, name="diff"),
    path("regions/", views.regions, name="regions"),
    path("codes/", views.code_tables, name="codes"),
    path("holidays/", views.holidays, name="holidays"),
    path("holidays/<int:year>/", views.holiday_year, name="holiday_year"),
    path("periods/", views.period_calculator, name="periods"),
    # staff screens
    path("staff/lists/<str:kind>/new/", views.draft_new, name="draft_new"),
    path("staff/lists/<str:kind>/v<int:number>/", views.draft_edit, name="draft_edit"),
    path("staff/lists/<str:kind>/v<int:number>/items/new/", views.item_edit, name="item_new"),
    path("staff/lists/<str:kind>/v<int:number>/items/<str:key>/", views.item_edit, name="item_edit"),
    path("staff/lists/<str:kind>/v<int:number>/items/<str:key>/delete/", views.item_delete, name="item_delete"),
    path("staff/lists/<str:kind>/v<int:number>/publish/", views.publish, name="publish"),
    path("staff/lists/<str:kind>/v<int:number>/discard/", views.draft_discard, name="draft_discard"),
    path("staff/holidays/<int:year>/", views.holiday_edit, name="holiday_edit"),
]
