"""Bulk onboarding: a spreadsheet of people checked row by row, previewed, then run as one job of operations
(invitations, metadata edits, blocks) under the Management API's rate limit, with a report kept with the job.

Above ``users`` (whose invite, metadata and action services every row goes through) and below the REST API.

Where things are: ``models``; ``services`` (a job's life as an admin drives it) and ``selectors`` (scoped reads);
the pages (``views``, ``forms``, ``urls``); the Celery tasks (``tasks``, their names in ``tasks_names``);
``intake/`` (the columns a file may have, reading a file or the API's rows); ``processing/`` (the dry run, the
run, progress, the report).
"""
