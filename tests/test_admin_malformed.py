"""No 500 in the admin lists we own: a malformed filter, search or action id gets an error
message or an empty list, on SQLite and PostgreSQL alike."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from comments import services
from comments.models import Comment
from tests.factories import make_comment, make_post, make_staff

pytestmark = pytest.mark.django_db

LISTS = {
    "comments": reverse("admin:comments_comment_changelist"),
    "events": reverse("admin:comments_commentevent_changelist"),
    "posts": reverse("admin:posts_post_changelist"),
}
# Parameters a moderator's browser may send, known filters and plain field lookups alike.
PARAMETERS = {
    "comments": [
        "ip_address",
        "author_name",
        "author_email",
        "status__exact",
        "status",
        "post__id__exact",
        "parent__isnull",
        "created_at__gte",
        "created_at__lt",
        "id",
        "pk__in",
        "level",
        "q",
        "o",
        "p",
        "parent__isempty",
        "sender",
    ],
    "events": [
        "action__exact",
        "actor__id__exact",
        "actor__isnull",
        "created_at__year",
        "created_at__month",
        "created_at__day",
        "created_at__gte",
        "comment",
        "batch",
        "q",
        "o",
        "p",
    ],
    "posts": [
        "status__exact",
        "comments_open__exact",
        "author__id__exact",
        "tags__id__exact",
        "published_at__year",
        "published_at__month",
        "published_at__gte",
        "title",
        "id",
        "q",
        "o",
        "p",
    ],
}
MALFORMED = [
    "abc",
    "\x00",
    "a\x00b",
    "-1",
    "99999999999999999999999",
    "1.5",
    "",
    "'; DROP TABLE comments_comment; --",
    "%",
    "é" * 300,
    "2024-13-45",
    "1,2,x",
]


@pytest.fixture
def superuser_client(client):
    client.force_login(make_staff("boss", superuser=True))
    client.raise_request_exception = False  # count 500s instead of raising the first
    post = make_post()
    comment = make_comment(post, status="pending", ip_address="192.0.2.1")
    services.comment_set_status(comment=comment, status="approved")
    return client


@pytest.mark.parametrize("name", sorted(LISTS))
def test_malformed_filters_never_answer_500(superuser_client, name):
    """Every filter and lookup with every malformed value: a page, a message or a redirect."""
    failures = []
    for parameter in PARAMETERS[name]:
        for value in MALFORMED:
            response = superuser_client.get(LISTS[name], {parameter: value})
            if response.status_code not in (200, 302):
                failures.append((parameter, value[:20], response.status_code))
            if response.status_code == 302:
                followed = superuser_client.get(response["Location"])
                if followed.status_code != 200:
                    failures.append((parameter, value[:20], "then", followed.status_code))
    assert failures == []


@pytest.mark.parametrize("parameter", ["ip_address", "status__exact", "author_name"])
def test_a_malformed_comment_filter_says_so(superuser_client, parameter):
    """The queue names the filter it could not use instead of failing."""
    response = superuser_client.get(LISTS["comments"], {parameter: "abc\x00"}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "could not be used" in page


@pytest.mark.parametrize("name", sorted(LISTS))
@pytest.mark.parametrize("selected", [["abc"], ["\x00"], ["1", "x"], ["99999999999999999999999"]])
def test_malformed_action_ids_change_nothing(superuser_client, name, selected):
    """A bulk action with ids that are not ids is refused with a message."""
    before = list(Comment.objects.values_list("pk", "status"))
    actions = {"comments": "mark_spam", "events": "delete_selected", "posts": "delete_selected"}
    response = superuser_client.post(
        LISTS[name], {"action": actions[name], ACTION_CHECKBOX_NAME: selected}, follow=True
    )
    assert response.status_code in (200, 403)
    assert list(Comment.objects.values_list("pk", "status")) == before


@pytest.mark.parametrize(
    "path",
    [
        "/admin/comments/comment/abc/change/",
        "/admin/comments/comment/99999999999999999999999/change/",
        "/admin/comments/comment/99999999999999999999999/history/",
        "/admin/comments/commentevent/abc/change/",
        "/admin/posts/post/%00/change/",
    ],
)
def test_malformed_object_ids_never_answer_500(superuser_client, path):
    """An object id that is not one is a redirect with a message or a 404, never a 500."""
    response = superuser_client.get(path)
    assert response.status_code in (302, 404)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/comments/comment/99999999999999999999999/moderate/approve/",
        "/admin/comments/comment/99999999999999999999999/quick-edit/",
        "/admin/comments/comment/99999999999999999999999/reply/",
        "/admin/comments/comment/undo/99999999999999999999999/",
    ],
)
def test_desk_actions_on_ids_that_do_not_exist_are_404(superuser_client, path):
    """A row action, edit, reply or undo naming no comment or action is a 404."""
    assert superuser_client.post(path).status_code == 404
