from routes.graph import build_graph, distance

EDGES = [("a", "b"), ("b", "c"), ("c", "d"), ("a", "e"), ("e", "d"), ("x", "y")]


def test_build_is_undirected():
    g = build_graph([("a", "b")])
    assert g == {"a": ["b"], "b": ["a"]}


def test_same_node():
    assert distance(build_graph(EDGES), "a", "a") == 0


def test_neighbour():
    assert distance(build_graph(EDGES), "a", "b") == 1


def test_two_hops():
    assert distance(build_graph(EDGES), "a", "c") == 2


def test_shortest_of_two_routes():
    assert distance(build_graph(EDGES), "b", "e") == 2


def test_unreachable():
    assert distance(build_graph(EDGES), "a", "y") == -1
