from django.core.management.base import BaseCommand

from comments.roles import MODERATOR_PERMISSIONS, ensure_moderators_group


class Command(BaseCommand):
    help = "Create or repair the Moderators group (migrate also does this)."

    def handle(self, *args, **options):
        group = ensure_moderators_group()
        granted = ", ".join(f"{app}.{codename}" for app, codename in MODERATOR_PERMISSIONS)
        self.stdout.write(f"Group {group.name!r} has: {granted}")
