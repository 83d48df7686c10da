"""One small exception hierarchy, mapped to exit codes in one place.

TreefixError                      (exit 3 unless a subclass says otherwise)
├── UsageError                    (exit 2) bad path, no tests, bad option value
├── EnvironmentProblem            (exit 3) the suite cannot run for reasons outside the project
├── SandboxError                  (exit 3) a sandbox could not be created or used
│   └── SandboxUnavailable        (exit 3) the asked-for backend is not on this machine
└── ProviderError                 (exit 4) a model provider refused for good
"""

from __future__ import annotations

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


class ProviderError(TreefixError):
    exit_code = EXIT_PROVIDER
