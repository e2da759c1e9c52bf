from django.core.management.base import BaseCommand
from django.utils import timezone

from comments import following, tasks


class Command(BaseCommand):
    help = (
        "Queue the daily digests of new comments for the readers who follow a discussion "
        "that way. Run it once a day (cron or a systemd timer); the worker sends them."
    )

    def handle(self, *args, **options):
        until = timezone.now().isoformat()
        queued = 0
        for subscription_id in following.due_digests().values_list("pk", flat=True):
            tasks.send_digest.enqueue(subscription_id, until)
            queued += 1
        self.stdout.write(f"Queued {queued} digest{'s' if queued != 1 else ''} up to {until}.")
