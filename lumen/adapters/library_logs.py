"""Third-party loggers that write to the stderr the process has now, not the one it had at import.

PyGithub (logger `github`) and securesystemslib (under sigstore) attach a `logging.StreamHandler()`
when they are imported, which binds whatever `sys.stderr` was at that moment. A host that swaps
stderr and later closes the old stream (pytest's capture, a tool embedding `lumen.cli.main`) turns
every later record into a "--- Logging error ---" traceback on the new stderr. Their records keep
their level and text; only where they go changes.
"""

from __future__ import annotations

import logging
import sys


class CurrentStderrHandler(logging.Handler):
    """Writes each record to `sys.stderr` as it is when the record is emitted."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stream = sys.stderr
            stream.write(self.format(record) + "\n")
            stream.flush()
        except Exception:
            self.handleError(record)


def to_current_stderr(name: str) -> None:
    """Replace the stream handlers logger `name` bound at import with one `CurrentStderrHandler`.

    Idempotent; handlers of other kinds (files, a host's own) are left alone.
    """
    logger = logging.getLogger(name)
    for handler in list(logger.handlers):
        if type(handler) is logging.StreamHandler:
            logger.removeHandler(handler)
    if not any(isinstance(handler, CurrentStderrHandler) for handler in logger.handlers):
        logger.addHandler(CurrentStderrHandler())
