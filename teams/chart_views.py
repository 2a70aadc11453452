from django.http import Http404


def org_chart(request, slug):
    raise Http404("The org chart is being built.")
