"""The processes' plumbing: settings from the environment, the embedded secret key, the worker's consumer,
health reports."""
