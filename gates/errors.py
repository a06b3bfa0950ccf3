"""Errors a user sees. Each names where the problem is and what was expected.

The CLI turns any `LumenError` into one line on stderr and exit 1; nothing else may reach a user
as a traceback.
"""

from __future__ import annotations


class LumenError(Exception):
    """Base for every error that is the user's input, config or environment, not a bug."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
        expected: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.field = field
        self.expected = expected
        self.hint = hint

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        elif self.line is not None:
            where = f"line {self.line}: "
        text = where
        if self.field:
            text += f"{self.field}: "
        text += self.message
        if self.expected:
            text += f" (expected {self.expected})"
        if self.hint:
            text += f"; {self.hint}"
        return text


class InputError(LumenError):
    """A data file (events, deploys, snapshots, results) is malformed."""


class ConfigError(LumenError):
    """The config file or a policy pack is invalid."""


class UsageError(LumenError):
    """The command line is wrong (exit 1, not argparse's 2)."""


class SourceError(LumenError):
    """An outside source (Prometheus, GitHub, Pushgateway, Sigstore) failed or is unreachable."""
