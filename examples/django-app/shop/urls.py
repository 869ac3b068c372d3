from django.urls import path

from . import views

urlpatterns = [
    path("api/login", views.login_view),
    path("api/logout", views.logout_view),
    path("api/counter", views.counter),
    path("api/draft", views.draft),
    path("api/whoami", views.whoami),
    path("healthz", views.healthz),
]
