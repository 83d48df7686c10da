from collections import deque


def build_graph(edges):
    graph = {}
    for a, b in edges:
        graph.setdefault(a, []).append(b)
        graph.setdefault(b, []).append(a)
    return graph


def distance(graph, start, goal):
    """Number of hops on a shortest path, or -1 when goal is unreachable."""
    if start == goal:
        return 0
    dist = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in graph.get(node, []):
            if nxt in dist:
                continue
            dist[nxt] = dist[node] + 1
            if nxt == goal:
                return dist[nxt]
            queue.append(node)
    return -1
