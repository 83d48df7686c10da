from __future__ import annotations

from treefix.code.secrets import is_secret
from treefix.sandbox.env import sandbox_env

SECRETS = {
    "OPENAI_API_KEY": "sk-1",
    "MY_SERVICE_API_KEY": "k",
    "GITHUB_TOKEN": "ghp",
    "HF_TOKEN": "hf",
    "SOME_TOKEN_FILE": "/x",
    "npm_token": "lower-case too",
    "AWS_ACCESS_KEY_ID": "AKIA",
    "AWS_SECRET_ACCESS_KEY": "s",
    "AWS_REGION": "eu-west-1",
    "ANTHROPIC_API_KEY": "a",
    "ANTHROPIC_BASE_URL": "https://proxy",
    "OPENAI_ORG_ID": "org",
    "DB_PASSWORD": "p",
}
KEPT = {"PATH": "/usr/bin:/bin", "HOME": "/home/u", "LANGUAGE": "en", "MYAPP_MODE": "dev"}


def test_secrets_are_scrubbed_and_ordinary_variables_kept():
    env = sandbox_env(base={**SECRETS, **KEPT})
    for name in SECRETS:
        assert name not in env, name
    for name, value in KEPT.items():
        assert env[name] == value
    assert all(is_secret(n) for n in SECRETS)
    assert not any(is_secret(n) for n in KEPT)


def test_the_environment_is_deterministic():
    env = sandbox_env(base={"PYTHONHASHSEED": "random", "TZ": "Europe/Paris", **KEPT})
    assert env["PYTHONHASHSEED"] == "0"
    assert env["TZ"] == "UTC"
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"


def test_pytest_and_path_overrides_from_outside_are_dropped_and_extras_added():
    base = {**KEPT, "PYTHONPATH": "/evil", "PYTEST_ADDOPTS": "-x", "PYTEST_PLUGINS": "p"}
    env = sandbox_env({"PYTHONPATH": "/support", "TREEFIX_RESULTS": "/r"}, base=base)
    assert env["PYTHONPATH"] == "/support"
    assert env["TREEFIX_RESULTS"] == "/r"
    assert "PYTEST_ADDOPTS" not in env and "PYTEST_PLUGINS" not in env


def test_defaults_to_the_real_environment(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-should-not-leak")
    monkeypatch.setenv("TREEFIX_TEST_PLAIN", "visible")
    env = sandbox_env()
    assert "ANTHROPIC_API_KEY" not in env
    assert env["TREEFIX_TEST_PLAIN"] == "visible"
