"""Background jobs: the `Job` model (progress a page can show), the runner that starts and runs
a job on django-tasks' database queue and recovers one whose worker died (`runner`), the job
page (`views`) and its API (`api`). A job runs a service function; it decides nothing itself.
"""
