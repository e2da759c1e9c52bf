from django.core.management.base import BaseCommand, CommandError

from comments.models import Comment, Commenter, Subscription
from comments.services import commenter_erase


class Command(BaseCommand):
    help = (
        "Erase the personal data of the commenter with this email: the name becomes "
        "'Anonymous' and email, website and IP address are cleared, also where they were "
        "copied (hold reasons, history, the admin log, cached pages). Their comments stay, "
        "so threads keep their shape. Export first with export_commenter if asked for it."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive")

    def handle(self, *args, email, interactive, **options):
        count = Comment.objects.by_author_email(email).count()
        following = Subscription.objects.filter(email__iexact=email).count()
        trust = Commenter.objects.filter(email__iexact=email.strip()).exists()
        if not (count or following or trust):
            raise CommandError(f"Nothing is stored about {email!r}.")
        if interactive:
            question = (
                f"Erase the personal data on {count} comments by {email}, and the "
                f"{following} discussions it follows? [y/N] "
            )
            answer = input(question)
            if answer.strip().lower() not in ("y", "yes"):
                raise CommandError("Nothing erased.")
        erased = commenter_erase(email=email)
        self.stdout.write(self.style.SUCCESS(f"Erased personal data on {erased} comments."))
