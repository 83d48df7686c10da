"""Case 10, reading side: the local sandbox shows the host read-only, so credentials are covered
(a candidate's output reaches reports and model prompts). Home credential folders such as ~/.ssh
and ~/.aws, /etc/shadow and anything in TREEFIX_HIDE read as empty inside a run; Docker never sees
host paths at all."""

from __future__ import annotations

import secrets
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.adversarial.conftest import assert_still_healthy, hostile, outcomes
from tests.adversarial.test_hostile_escape import require_isolation
from treefix.sandbox import isolation
from treefix.types import Status


@pytest.fixture
def planted(monkeypatch):
    token = secrets.token_hex(16)
    # not under /tmp: the local sandbox's /tmp is private anyway, which would prove nothing
    base = Path(tempfile.mkdtemp(prefix="treefix-secrets-", dir="/var/tmp"))
    folder = base / "creds"
    folder.mkdir()
    (folder / "id_ed25519").write_text(f"PRIVATE {token}\n")
    single = base / "token.txt"
    single.write_text(f"TOKEN {token}\n")
    monkeypatch.setenv("TREEFIX_HIDE", f"{folder}:{single}")
    isolation.secret_paths.cache_clear()
    yield folder, single, token
    monkeypatch.delenv("TREEFIX_HIDE")
    isolation.secret_paths.cache_clear()
    shutil.rmtree(base)


def test_credentials_read_as_empty_inside_a_run(backends, calc, box, planted):
    require_isolation(backends, box, "filesystem")
    folder, single, token = planted
    runner = backends.runner(calc)
    body = f"""\
        import os

        def test_read_the_key_folder():
            names = os.listdir({str(folder)!r})
            data = "".join(open(os.path.join({str(folder)!r}, n)).read() for n in names)
            print(data)  # a real leak would land in the output (and a model prompt)
            assert "PRIVATE" in data

        def test_read_the_token_file():
            data = open({str(single)!r}).read()
            print(data)
            assert "TOKEN" in data

        def test_read_shadow():
            data = open("/etc/shadow").read()
            print(data)
            assert "root:" in data
        """
    rep = runner.run(box, hostile(body), None, timeout=30, per_test_timeout=10)
    assert rep.status is Status.FAILED, (rep.status, rep.detail, rep.output[-2000:])
    hostile_ids = {k for k in rep.tests if "test_read_" in k}
    assert len(hostile_ids) == 3 and {outcomes(rep)[k] for k in hostile_ids} == {"failed"}
    assert token not in rep.output and all(token not in t.message for t in rep.tests.values())
    # still readable on the host: the cover exists only inside the run
    assert token in (folder / "id_ed25519").read_text()
    assert_still_healthy(runner, box)
