"""Third-party loggers write to the stderr of now (lumen/adapters/library_logs.py)."""

from __future__ import annotations

import io
import logging
import sys

import pytest

from lumen.adapters.library_logs import CurrentStderrHandler, to_current_stderr


@pytest.fixture
def library_logger():
    logger = logging.getLogger("lumen-test-library")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger
    for handler in list(logger.handlers):
        logger.removeHandler(handler)


def test_a_handler_bound_at_import_follows_stderr_after_it_is_swapped(
    library_logger, monkeypatch
) -> None:
    at_import = io.StringIO()
    library_logger.addHandler(logging.StreamHandler(at_import))
    at_import.close()  # the host closed the stderr the library saw at import
    to_current_stderr(library_logger.name)
    now = io.StringIO()
    monkeypatch.setattr(sys, "stderr", now)
    library_logger.info("retrying in %ds", 4)
    assert now.getvalue() == "retrying in 4s\n"
    later = io.StringIO()
    monkeypatch.setattr(sys, "stderr", later)
    library_logger.warning("still retrying")
    assert later.getvalue() == "still retrying\n" and now.getvalue() == "retrying in 4s\n"


def test_rerouting_is_idempotent_and_keeps_other_handlers(library_logger) -> None:
    kept = logging.FileHandler("/dev/null", delay=True)
    library_logger.addHandler(kept)
    library_logger.addHandler(logging.StreamHandler(io.StringIO()))
    to_current_stderr(library_logger.name)
    to_current_stderr(library_logger.name)
    kinds = [type(handler) for handler in library_logger.handlers]
    assert kinds.count(CurrentStderrHandler) == 1 and kept in library_logger.handlers
    assert logging.StreamHandler not in kinds
