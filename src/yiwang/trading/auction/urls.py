app_name = "auction"
urlpatterns: list = []
