"""Errors the command line turns into one readable line and a non-zero exit."""


class IprGuardError(Exception):
    """Base class: a problem the user can act on; its message is shown as is."""

    exit_code = 1


class UsageError(IprGuardError):
    """Bad arguments, configuration or paths."""

    exit_code = 2


class InputError(IprGuardError):
    """The landing data cannot be taken in as it is (broken feed, unknown table folder)."""

    exit_code = 3


class GateError(IprGuardError):
    """A data-quality gate failed; nothing was published."""

    exit_code = 4


class AccessDenied(IprGuardError):
    """An affiliate asked for a table or column outside its grant (the attempt is logged)."""

    exit_code = 5
