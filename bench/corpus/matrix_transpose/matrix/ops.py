def shape(m):
    return len(m), (len(m[0]) if m else 0)


def transpose(m):
    rows, cols = shape(m)
    result = [[0] * rows for _ in range(cols)]
    for i in range(rows):
        for j in range(cols):
            result[j][i] = m[i][j]


def multiply(a, b):
    n, k = shape(a)
    k2, p = shape(b)
    if k != k2:
        raise ValueError("shapes do not match")
    return [[sum(a[i][t] * b[t][j] for t in range(k)) for j in range(p)] for i in range(n)]


def is_symmetric(m):
    return m == transpose(m)
