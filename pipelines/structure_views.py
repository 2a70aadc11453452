from django.http import Http404


def structure(request, slug):
    raise Http404("The structure page is being built.")
