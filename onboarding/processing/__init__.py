"""What happens to a job's rows once uploaded, in the background: the dry run (``check``), the run that sends
them as operations (``run``), each row's outcome and the job's progress (``progress``), and the report of it all
(``report``). The Celery tasks that drive the first two stay in ``onboarding.tasks``: workers and beat know them
by the names ``onboarding.tasks.*``."""
