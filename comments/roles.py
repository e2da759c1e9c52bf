"""The Moderators group: see posts, moderate and edit comments, keep the block list,
nothing else."""

from django.contrib.auth.models import Group, Permission

MODERATORS_GROUP = "Moderators"
MODERATOR_PERMISSIONS = [
    ("posts", "view_post"),
    ("posts", "view_author"),
    ("comments", "view_comment"),
    ("comments", "change_comment"),
    ("comments", "view_commentevent"),
    ("comments", "view_moderationbatch"),
    ("comments", "view_blockedsender"),
    ("comments", "add_blockedsender"),
    ("comments", "change_blockedsender"),
    ("comments", "delete_blockedsender"),
]


def ensure_moderators_group() -> Group:
    """Create or repair the group so it has exactly the moderator permissions."""
    group, _ = Group.objects.get_or_create(name=MODERATORS_GROUP)
    wanted = {f"{app}.{codename}" for app, codename in MODERATOR_PERMISSIONS}
    permissions = [
        permission
        for permission in Permission.objects.select_related("content_type")
        if f"{permission.content_type.app_label}.{permission.codename}" in wanted
    ]
    group.permissions.set(permissions)
    return group
