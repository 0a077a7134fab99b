"""Browser pages of deployments: the list (a deployment's own page and its tabs are
in apps.deployments.pages)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from apps.core.htmx import is_fragment_request, render_page
from apps.deployments import listing


@login_required
def deployment_list(request: HttpRequest) -> HttpResponse:
    """A page of the user's deployments, filtered by the same FilterSet as the API's list.

    Filters, sort and paging swap only the table (an htmx request gets the fragment).
    """
    page = listing.page_of(request)
    context = {"page": page, "query": request.GET}
    if not is_fragment_request(request):  # the form is not swapped: no need for its choices
        context.update(listing.filter_choices(request.user))
    status = 400 if page.errors else 200
    return render_page(
        request, "deployments/list.html", "deployments/_table.html", context, status=status
    )
