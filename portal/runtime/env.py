"""Reading settings from the environment (12-factor), with secrets also from ``<NAME>_FILE``."""

from __future__ import annotations

import environ
from environ.fileaware_mapping import FileAwareMapping


class _StrippedFileAwareMapping(FileAwareMapping):
    """Like django-environ's mapping, but a secret file's trailing newline is not part of the secret."""

    def __getitem__(self, key: str) -> str:
        value = super().__getitem__(key)
        return value.rstrip("\r\n") if self.env.get(key + "_FILE") else value


class Env(environ.Env):
    ENVIRON = _StrippedFileAwareMapping(cache=False)


env = Env()
