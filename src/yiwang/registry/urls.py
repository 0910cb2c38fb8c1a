from django.http import HttpResponse
from django.urls import path

app_name = "registry"
urlpatterns = [path("", lambda request: HttpResponse("registry"), name="search")]
