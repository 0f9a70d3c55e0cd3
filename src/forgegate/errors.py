"""Errors that map to forgegate's exit codes (see DESIGN.md)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_GATE = 3


class ForgegateError(Exception):
    """Base class: the message is one line that says what went wrong and how to fix it."""

    exit_code = EXIT_GATE


class UsageError(ForgegateError):
    """Bad input from the user: arguments, policy, baseline. Exit 2."""

    exit_code = EXIT_USAGE


class GateError(ForgegateError):
    """A gate could not decide (tool missing, network down, unreadable input). Exit 3."""

    exit_code = EXIT_GATE
