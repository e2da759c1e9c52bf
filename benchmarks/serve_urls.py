"""The site's URLs and /benchmark/hello/ (benchmarks/serve.py only)."""

from django.http import HttpResponse
from django.urls import include, path


def hello(request):
    return HttpResponse(b"Hello", content_type="text/plain")


urlpatterns = [
    path("benchmark/hello/", hello),
    path("", include("msblog.urls")),
]
