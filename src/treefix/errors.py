"""Every treefix failure, one name per kind, mapped to exit codes in one place.

TreefixError                      (exit 3 unless a subclass says otherwise)
├── UsageError                    (exit 2) bad path, no tests, bad option value
├── EnvironmentProblem            (exit 3) the suite cannot run for reasons outside the project
├── SandboxError                  (exit 3) a sandbox could not be created or used
│   └── SandboxUnavailable        (exit 3) the asked-for backend is not on this machine
├── GitError                      (exit 3) a git command failed
├── RepoBusy                      (exit 3) a merge, rebase, cherry-pick, revert or bisect is under way
├── WriteBackRefused              (exit 3) the fix was not written back; it stays in fix.patch
├── NotReproduced                 (exit 1) issue mode: no reproduction test failed for the reason
│                                          the issue describes
└── ProviderError                 (exit 4) a model provider cannot be used: no model configured,
    │                                      its extra not installed (raised as such by the factories)
    ├── FatalModelError           (exit 4) refused for good: bad key (401/403), unknown model (404),
    │                                      bad request (400); never retried
    ├── TransientModelError       (exit 4) may answer later: 429, 5xx, connection, timeout; retried
    │                                      by the gateway, and raised by it once the retries run out
    └── ContextOverflow           (exit 4) the prompt does not fit the model's context window; not
                                           retried as is: the proposer trims its prompt and asks again

`ProviderError.fatal` says whether asking the model again can help: with mutants beside it, the
search goes on without a model that is not fatally broken. A provider makes one attempt per call
and raises the leaves; `treefix.models.gateway` retries, scrubs keys from the messages and
re-raises them.

Not in the tree on purpose: `StopSearch` (protocols.py) and its `BudgetExhausted` end a search early
with its best result (no failure); `extras.MissingExtra` (an ImportError, turned into a
FatalModelError by the providers) and `propose.blocks.Rejected` (one model answer refused, fed back to
the model) never leave the module that catches them.
"""

from __future__ import annotations

from typing import ClassVar

EXIT_OK = 0
EXIT_NO_FIX = 1
EXIT_USAGE = 2
EXIT_ENVIRONMENT = 3
EXIT_PROVIDER = 4
EXIT_INTERRUPTED = 130


class TreefixError(Exception):
    exit_code = EXIT_ENVIRONMENT


class UsageError(TreefixError):
    exit_code = EXIT_USAGE


class EnvironmentProblem(TreefixError):
    exit_code = EXIT_ENVIRONMENT


class SandboxError(TreefixError):
    exit_code = EXIT_ENVIRONMENT


class SandboxUnavailable(SandboxError):
    pass


class GitError(TreefixError):
    """A git command failed (exit 3)."""


class RepoBusy(TreefixError):
    """A merge, rebase, cherry-pick, revert or bisect is in progress (exit 3)."""


class WriteBackRefused(TreefixError):
    """The fix was not written back (exit 3); it stays in fix.patch."""


class NotReproduced(TreefixError):
    """Issue mode: the model wrote no test that fails for the reported reason (exit 1)."""

    exit_code = EXIT_NO_FIX


class ProviderError(TreefixError):
    exit_code = EXIT_PROVIDER
    fatal: ClassVar[bool] = True  # asking again cannot help

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status  # the provider's HTTP status, when it gave one


class FatalModelError(ProviderError):
    pass


class TransientModelError(ProviderError):
    fatal = False

    def __init__(self, message: str, retry_after: float | None = None, status: int | None = None):
        super().__init__(message, status)
        self.retry_after = retry_after  # seconds, as the provider asked (Retry-After)


class ContextOverflow(ProviderError):
    fatal = False  # a shorter prompt may fit

    def __init__(self, message: str, window: int | None = None, requested: int | None = None):
        super().__init__(message, 400)
        self.window = window  # the model's context window in tokens, when the provider said
        self.requested = requested
