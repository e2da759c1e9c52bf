import json

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from comments.privacy import commenter_data


class Command(BaseCommand):
    help = "Print, as JSON, everything stored about the commenter with this email address."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--output", help="write to this file instead of standard output")

    def handle(self, *args, email, output, **options):
        data = commenter_data(email)
        if not (data["comments"] or data["following"] or data["email_confirmation"]):
            raise CommandError(f"Nothing is stored about {email!r}.")
        text = json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
            self.stderr.write(
                f"Wrote {len(data['comments'])} comments and {len(data['following'])} "
                f"followed discussions to {output}."
            )
        else:
            self.stdout.write(text)
