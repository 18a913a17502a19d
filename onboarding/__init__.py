"""Bulk onboarding: a spreadsheet of people checked row by row, previewed, then run as one job of operations
(invitations, metadata edits, blocks) under the Management API's rate limit, with a report kept with the job.

Above ``users`` (whose invite, metadata and action services every row goes through) and below the REST API.
"""
