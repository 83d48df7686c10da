"""The model's read tools: bounded answers, paths confined to the snapshot, secrets never read."""

from __future__ import annotations

import pytest

from treefix.propose.tools import Refused, Toolbox

FILES = {
    "src/app/core.py": b"".join(b"x%d = %d\n" % (i, i) for i in range(1, 301)),
    "src/app/util.py": b"class Parser:\n    def parse(self):\n        return 1\n\n\nasync def fetch():\n    pass\n",
    "tests/test_core.py": b"def test_parse():\n    assert Parser().parse() == 2\n",
    "deploy/.ssh/id_ed25519": b"-----BEGIN KEY-----\n",
    "conf/.env.local": b"TOKEN=abc\n",
}


@pytest.fixture
def box():
    return Toolbox.over(FILES)


def test_read_file_numbers_lines_and_bounds_the_answer(box):
    out = box.run("read_file", {"path": "src/app/core.py", "start": 10, "end": 12})
    assert out.splitlines()[1:] == [
        "   10  x10 = 10",
        "   11  x11 = 11",
        "   12  x12 = 12",
        "[288 more lines]",
    ]
    whole = box.run("read_file", {"path": "./src/app/core.py"})
    assert "lines 1-200 of 300" in whole and "x201" not in whole


def test_search_find_definition_and_list_dir(box):
    assert box.run("search", {"regex": r"def parse", "glob": "src/*.py"}) == (
        "src/app/util.py:2: def parse(self):"
    )
    assert "tests/test_core.py:1" in box.run("search", {"regex": "parse"})
    assert box.run("find_definition", {"name": "Parser"}) == "src/app/util.py:1: class Parser:"
    assert box.run("find_definition", {"name": "fetch"}).startswith("src/app/util.py:6")
    assert box.run("list_dir", {"path": ""}).split() == ["src/", "tests/"]  # no secret folder
    assert box.run("list_dir", {"path": "src/app"}).split() == ["core.py", "util.py"]


@pytest.mark.parametrize(
    "name,args,why",
    [
        ("read_file", {"path": "../outside.py"}, "outside the project"),
        ("read_file", {"path": "src/../../etc/passwd"}, "outside the project"),
        ("read_file", {"path": "/etc/passwd"}, "outside the project"),
        ("read_file", {"path": "~/.ssh/id_rsa"}, "outside the project"),
        ("read_file", {"path": "deploy/.ssh/id_ed25519"}, "credentials"),
        ("read_file", {"path": "conf/.env.local"}, "credentials"),
        ("read_file", {"path": ".git/config"}, "credentials"),
        ("read_file", {"path": "src/app/nope.py"}, "no file"),
        ("list_dir", {"path": "../"}, "outside the project"),
        ("search", {"regex": "("}, "bad regular expression"),
        ("search", {"regex": "x", "glob": "../*"}, "outside the project"),
        ("find_definition", {"name": "a b"}, "identifier"),
        ("shell", {"cmd": "ls"}, "unknown tool"),
        ("read_file", {"file": "a.py"}, "bad arguments"),
        ("read_file", {"_invalid": "{oops"}, "not a JSON object"),
    ],
)
def test_refusals_say_why(box, name, args, why):
    with pytest.raises(Refused, match=why):
        box.run(name, args)


def test_a_symlink_leaving_the_project_is_never_readable(tmp_path):
    from treefix.workspace.snapshot import snapshot

    outside = tmp_path / "outside.py"
    outside.write_text("SECRET = 'host file'\n")
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "mod.py").write_text("X = 1\n")
    (root / "pkg" / "leak.py").symlink_to(outside)
    (root / "pkg" / "up").symlink_to(tmp_path)
    project = snapshot(root)
    box = Toolbox.over(project.sources)
    for path in ("pkg/leak.py", "pkg/up/outside.py"):
        with pytest.raises(Refused, match="no file"):
            box.run("read_file", {"path": path})
    assert "host file" not in box.run("search", {"regex": "SECRET|host"})
    assert box.run("list_dir", {"path": "pkg"}).split() == ["mod.py"]
