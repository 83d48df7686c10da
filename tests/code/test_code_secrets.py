"""The kernel's secret rules: which variables are secret, what gets scrubbed, which files hide."""

from __future__ import annotations

import pytest

from treefix.code.secrets import SECRET_NAMES, is_secret, scrub, secret_values


@pytest.mark.parametrize(
    "name",
    [
        "ANTHROPIC_API_KEY",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",  # every variable under a provider prefix
        "AWS_REGION",
        "GITHUB_TOKEN",
        "npm_token",  # case does not matter
        "DB_PASSWORD",
        "MY_SECRET",
        "SSH_PRIVATE_KEY",
        "HTTP_AUTH",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "SESSION_ID",
        "STRIPE_APIKEY",
    ],
)
def test_secret_names(name):
    assert is_secret(name)


@pytest.mark.parametrize("name", ["PATH", "HOME", "LANG", "PYTHONHASHSEED", "AUTHOR", "CI"])
def test_plain_names(name):
    assert not is_secret(name)


def test_scrub_hides_environment_values_extras_and_key_shapes(monkeypatch):
    monkeypatch.setenv("MY_SERVICE_TOKEN", "tok-123456789")
    monkeypatch.setenv("SHORT_TOKEN", "abc")  # too short to scrub without mangling text
    monkeypatch.setenv("EDITOR", "vim-123456789")
    text = (
        "token tok-123456789, passed extra-987654, key sk-ant-abcdefgh123, "
        "Authorization: Bearer abc.def, editor vim-123456789, abc"
    )
    out = scrub(text, ("extra-987654",))
    assert "tok-123456789" not in out and "extra-987654" not in out
    assert "sk-ant-abcdefgh123" not in out and "abc.def" not in out
    assert "Bearer ***" in out and "vim-123456789" in out and out.endswith(", abc")
    assert "tok-123456789" in secret_values() and "abc" not in secret_values()


def test_secret_files_cover_the_usual_credential_stores():
    for name in (".ssh", ".aws", ".netrc", ".git-credentials", ".docker", ".config/gh"):
        assert name in SECRET_NAMES
    assert all(not n.startswith("/") for n in SECRET_NAMES)  # relative to each home folder


def test_the_sandbox_and_the_model_layer_share_the_kernel_rules():
    from treefix.models import gateway, providers
    from treefix.sandbox import env, isolation

    assert env.is_secret is is_secret
    assert gateway.scrub is scrub and providers.scrub is scrub
    assert isolation.SECRET_NAMES is SECRET_NAMES
