"""The one error root: each subclass carries its exit code (DESIGN 6). Imports nothing internal."""

from __future__ import annotations


class PromotionError(Exception):
    """A failure the user can act on; its message is one line and ``exit_code`` is what the CLI returns."""

    exit_code = 1

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line

    def __str__(self) -> str:
        return self.message


class UsageError(PromotionError):
    """A bad flag, argument or input value."""

    exit_code = 2


class ConfigError(UsageError):
    """gitops-promotion.yaml is missing, malformed or inconsistent."""


class ManifestError(UsageError):
    """A manifest cannot be read or edited safely (bad YAML, marker on a map, symlink out of the repo)."""


class GitError(PromotionError):
    """A git operation failed (push rejected, missing branch)."""


class ProviderError(PromotionError):
    """The forge API refused or failed a request. ``kind`` says which fix applies (providers/failures.py):
    network, auth, permission, transient (5xx, rate limit: a rerun may pass) or refused (anything else)."""

    def __init__(self, message: str, *, kind: str = "refused", file: str | None = None, line: int | None = None):
        super().__init__(message, file=file, line=line)
        self.kind = kind


class PolicyError(PromotionError):
    """An environment policy forbids this promotion."""


class PullRequestExists(ProviderError):
    """The forge refused to create a PR because one is already open for the same head and base."""
