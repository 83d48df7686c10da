"""Registries: a backend or a provider registered with one line is seen by config validation, the
CLI's choices, `doctor` and the factories alike. The registered implementations are test doubles
(`FakeBackend` runs in local sandboxes, `FakeProvider` answers from a script)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.conftest import write_tree
from treefix.cli.app import app
from treefix.config import resolve
from treefix.errors import UsageError
from treefix.models.factory import configured_provider, make_model
from treefix.models.registry import PROVIDERS, ProviderEntry
from treefix.registry import Entry
from treefix.sandbox.backends import SANDBOXES, backend


class FakeBackend:
    """Test double: a backend named `fake` that counts what it creates and runs locally."""

    python = None
    auto_rank = 1000  # after local: `auto` never picks it
    remedy = "start the fake engine"

    def __init__(self):
        self.created = 0

    def probe(self):
        return True, "fake engine answers"

    def available(self, project, image):
        return True, ""

    def image(self, project, image):
        return None

    def limits(self, options):
        return backend("local").limits(options)

    def create(self, project, n, run_id, image, limits):
        self.created += n
        return backend("local").create(project, n, run_id, image, limits)

    def doctor(self):
        return [("sandbox fake", *self.probe())]


class FakeProvider:
    """Test double: a provider named `fake` whose model replays one canned answer."""

    def create(self, spec):
        from treefix.models.scripted import ScriptedModel

        if not spec.name:
            raise ValueError("--provider fake needs --model NAME")
        return ScriptedModel(["no idea"], name=spec.name)

    def doctor(self):
        return [("fake SDK", False, PROVIDERS["fake"].install)]


@pytest.fixture
def fakes():
    fake_backend = FakeBackend()
    SANDBOXES.register(Entry("fake", fake_backend, "test double", extra="fake"))
    PROVIDERS.register(
        ProviderEntry("fake", FakeProvider(), "test double", extra="fake", keys=("FAKE_API_KEY",),
                      selected_by=("FAKE_API_KEY",))
    )  # fmt: skip
    try:
        yield fake_backend
    finally:
        SANDBOXES.unregister("fake")
        PROVIDERS.unregister("fake")


def test_config_accepts_a_registered_name_and_refuses_it_once_gone(tmp_path, fakes):
    root = write_tree(tmp_path / "p", {"treefix.toml": "sandbox = 'fake'\nprovider = 'fake'\n"})
    values = resolve(root, environ={}).values
    assert (values["sandbox"], values["provider"]) == ("fake", "fake")
    SANDBOXES.unregister("fake")
    try:
        with pytest.raises(UsageError, match="sandbox must be one of auto, local, docker, not 'fake'"):
            resolve(root, environ={})
    finally:
        SANDBOXES.register(Entry("fake", fakes, "test double", extra="fake"))
    PROVIDERS.unregister("fake")
    try:
        with pytest.raises(UsageError, match="provider must be one of anthropic, openai, llamacpp, scripted, not 'fake'"):
            resolve(root, environ={})
    finally:
        PROVIDERS.register(ProviderEntry("fake", FakeProvider(), "test double", extra="fake"))


def test_the_cli_lists_registered_names_and_routes_to_the_backend(tmp_path, fakes):
    runner = CliRunner()
    helps = [
        " ".join(runner.invoke(app, [cmd, "--help"], env={"COLUMNS": "200"}).output.split())
        for cmd in ("repair", "check", "test")
    ]
    assert all("auto | local | docker | fake" in text for text in helps)
    assert "anthropic | openai | llamacpp | scripted | fake" in helps[0]
    root = write_tree(tmp_path / "p", {"test_ok.py": "def test_ok():\n    assert True\n"})
    result = runner.invoke(app, ["test", str(root), "--sandbox", "fake", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "passed" and fakes.created == 1
    bad = runner.invoke(app, ["test", str(root), "--sandbox", "nope"])
    assert bad.exit_code == 2 and "--sandbox must be auto, local, docker or fake, not 'nope'" in bad.output


def test_doctor_shows_registered_backends_and_providers_and_the_missing_extra(monkeypatch, fakes):
    monkeypatch.setenv("FAKE_API_KEY", "fake-secret-value")
    result = CliRunner().invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["sandbox fake"] == {"ok": True, "detail": "fake engine answers"}
    assert data["fake SDK"] == {"ok": False, "detail": "pip install 'treefix[fake]'"}
    assert "FAKE_API_KEY" in data["model keys"]["detail"]
    assert "fake-secret-value" not in result.output


def test_the_factories_look_the_provider_up(monkeypatch, fakes):
    for var in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    assert configured_provider(None) is None
    monkeypatch.setenv("FAKE_API_KEY", "x")
    assert configured_provider(None) == "fake"
    assert make_model("fake", "tiny").name == "tiny"
    with pytest.raises(ValueError, match="--provider fake needs --model NAME"):
        make_model("fake")
    with pytest.raises(ValueError, match="--provider must be one of anthropic, openai, llamacpp, scripted, fake, not 'nope'"):
        make_model("nope")
