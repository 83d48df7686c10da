"""Work out which requested packages still need installing, in dependency order."""


def is_installed(name, installed):
    return name.lower() in {n.lower() for n in installed}


def install_order(requested, deps):
    """Depth-first: dependencies come before the packages that need them."""
    order = []
    seen = set()

    def visit(name):
        if name in seen:
            return
        seen.add(name)
        for dep in deps.get(name, []):
            visit(dep)
        order.append(name)

    for name in requested:
        visit(name)
    return order


def plan(requested, deps, installed):
    todo = []
    for name in install_order(requested, deps):
        if is_installed(name, installed):
            todo.append(name)
    return todo
