from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def create_moderators_group(sender, **kwargs):
    from comments.roles import ensure_moderators_group

    ensure_moderators_group()


class CommentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "comments"
    verbose_name = _("Comments")

    def ready(self):
        # After every migrate (and test-database flush), like Django's own permissions.
        post_migrate.connect(create_moderators_group, sender=self)
