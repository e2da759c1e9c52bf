"""Each comment keeps the HTML readers see, rendered once when it is written
(comments.markup); this fills it for the comments already stored."""

from django.db import migrations, models


def render_existing(apps, schema_editor):
    from comments.markup import render_comment_html

    Comment = apps.get_model("comments", "Comment")
    batch = []
    for pk, body in Comment.objects.order_by("pk").values_list("pk", "body").iterator(2000):
        batch.append(Comment(pk=pk, body_html=render_comment_html(body)))
        if len(batch) == 2000:
            Comment.objects.bulk_update(batch, ["body_html"])
            batch = []
    Comment.objects.bulk_update(batch, ["body_html"])


class Migration(migrations.Migration):
    dependencies = [
        ("comments", "0007_comment_subscriptions"),
    ]

    operations = [
        migrations.AddField(
            model_name="comment",
            name="body_html",
            field=models.TextField(default="", editable=False),
        ),
        migrations.AlterField(
            model_name="comment",
            name="body",
            field=models.TextField(
                help_text='As the commenter typed it: plain text with a little markup (README "Comments"); blank lines separate paragraphs.'
            ),
        ),
        # Every migrate retires cached pages afterwards (posts.apps), so none survives
        # that was drawn before this.
        migrations.RunPython(render_existing, migrations.RunPython.noop),
    ]
