from django.urls import path

from comments import views

app_name = "comments"

urlpatterns = [
    path("<int:comment_id>/", views.comment_permalink, name="permalink"),
    path("post/<int:post_id>/", views.comment_create, name="create"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("resubscribe/<str:token>/", views.resubscribe, name="resubscribe"),
    path("confirm/<str:token>/", views.confirm_email, name="confirm-email"),
]
