"""People and teams pages of one organisation, under /orgs/<slug>/."""

urlpatterns: list = []
