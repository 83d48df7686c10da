from access.perms import can, permissions_for


def test_single_permission():
    assert can(["viewer"], "read")


def test_viewer_cannot_write():
    assert not can(["viewer"], "read", "write")


def test_editor_cannot_delete():
    assert not can(["editor"], "write", "delete")


def test_roles_combine():
    assert can(["viewer", "editor"], "read", "write")


def test_unknown_role():
    assert permissions_for(["ghost"]) == set()
