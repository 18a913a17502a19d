"""What pages and API views share: form errors, refusals in words, operations a browser follows, CSV
responses, the template context."""
