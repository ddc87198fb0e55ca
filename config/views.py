"""Site-wide error pages that need more than a template."""

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views import defaults

from core.query_filters import BadFilter


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A filter that cannot be read gets a page naming it and a way back to the unfiltered list; any
    other bad request gets Django's plain 400 page."""
    if not isinstance(exception, BadFilter):
        return defaults.bad_request(request, exception)
    context = {"problems": sorted(exception.errors.items()), "list_url": request.path}
    return HttpResponseBadRequest(render(request, "400_filter.html", context).content)
