from django.urls import path

from comments import following_views, views

app_name = "comments"

urlpatterns = [
    path("<int:comment_id>/", views.comment_permalink, name="permalink"),
    path("post/<int:post_id>/", views.comment_create, name="create"),
    path("<int:comment_id>/edit/", views.comment_author_edit, name="edit"),
    path("<int:comment_id>/delete/", views.comment_author_delete, name="delete"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("resubscribe/<str:token>/", views.resubscribe, name="resubscribe"),
    path("confirm/<str:token>/", views.confirm_email, name="confirm-email"),
    path("follow/<int:post_id>/", following_views.follow, name="follow"),
    path("follow/confirm/<str:token>/", following_views.follow_confirm, name="follow-confirm"),
    path("follow/stop/<str:token>/", following_views.follow_stop, name="follow-stop"),
]
