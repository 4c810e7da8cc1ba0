"""Errors the core raises: each carries one plain sentence an analyst can act on."""


class TidelineError(Exception):
    """Base of every error the core reports to a person; ``str(e)`` is one sentence."""


class CaseError(TidelineError):
    """The case cannot be created, opened or written (missing, locked, too new, damaged)."""


class VerificationError(TidelineError):
    """Something that should be intact is not: the audit chain, the vault, a bundle."""
