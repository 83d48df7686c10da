from pkgplan.plan import install_order, is_installed, plan

DEPS = {"app": ["lib", "util"], "lib": ["util"]}


def test_order_puts_dependencies_first():
    assert install_order(["app"], DEPS) == ["util", "lib", "app"]


def test_is_installed_ignores_case():
    assert is_installed("Flask", ["flask"])


def test_plan_fresh_machine():
    assert plan(["app"], DEPS, installed=[]) == ["util", "lib", "app"]


def test_plan_skips_installed():
    assert plan(["app"], DEPS, installed=["UTIL"]) == ["lib", "app"]


def test_plan_nothing_to_do():
    assert plan(["util"], DEPS, installed=["util"]) == []
