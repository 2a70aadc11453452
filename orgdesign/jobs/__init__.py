"""Background jobs: the `Job` model (progress a page can show), the runner that starts and runs
a job on django-tasks' database queue and recovers one whose worker died (`runner`), the job
page (`views`), its API (`api`) and the 202 that hands work to a job (`serializers`). A job
runs a service function; it decides nothing itself.
"""
