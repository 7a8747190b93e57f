#!/usr/bin/env python3
"""Derives the Winograd matrices of src/ops/winograd.rs exactly (fractions):
A^T and G from the points, B^T solved from the correlation identity; checks the
identity and the flip property and prints them. F(4x4,3x3): the points 0, 1,
-1, 2, 1/2 and infinity; F(6x6,3x3): 0, 1, -1, 2, -2, 1/2, -1/2 and infinity
(both sets closed under p -> 1/p).
Standard library only: python3 tools/winograd_matrices.py [4|6]"""
import sys
from fractions import Fraction as F

m, r = int(sys.argv[1]) if len(sys.argv) > 1 else 4, 3
pts = {4: [F(0), F(1), F(-1), F(2), F(1,2)],
       6: [F(0), F(1), F(-1), F(2), F(-2), F(1,2), F(-1,2)]}[m]
n = m + r - 1
# A^T (m, n): Vandermonde for finite points, infinity column [0..0,1]
AT = [[p**i for p in pts] + [F(1) if i == m-1 else F(0)] for i in range(m)]
# G (n, r): [1, p, p^2] / f_p, last row [0,0,1]
def f(j):
    out = F(1)
    for l, q in enumerate(pts):
        if l != j: out *= (pts[j] - q)
    return out
G = [[pts[j]**k / f(j) for k in range(r)] for j in range(n-1)] + [[F(0), F(0), F(1)]]
# solve for BT (n, n): sum_j AT[i][j] G[j][k] BT[j][t] = [t == i+k]
# unknowns BT[j][t]; equations for each i,k,t -> separate per t: unknowns BT[:,t] (n), eqs i,k (m*r)
def solve(Arows, b):
    # least-squares exact via gaussian elimination on the normal system of a consistent system
    rows = [list(a) + [bb] for a, bb in zip(Arows, b)]
    ncol = len(Arows[0])
    piv = []
    ri = 0
    for c in range(ncol):
        p = next((i for i in range(ri, len(rows)) if rows[i][c] != 0), None)
        if p is None: continue
        rows[ri], rows[p] = rows[p], rows[ri]
        pv = rows[ri][c]
        rows[ri] = [x / pv for x in rows[ri]]
        for i in range(len(rows)):
            if i != ri and rows[i][c] != 0:
                fac = rows[i][c]
                rows[i] = [x - fac * y for x, y in zip(rows[i], rows[ri])]
        piv.append(c); ri += 1
    for i in range(ri, len(rows)):
        assert rows[i][-1] == 0, "inconsistent"
    x = [F(0)] * ncol
    for i, c in enumerate(piv): x[c] = rows[i][-1]
    assert len(piv) == ncol, "underdetermined"
    return x
BT = [[F(0)] * n for _ in range(n)]
for t in range(n):
    Arows, b = [], []
    for i in range(m):
        for k in range(r):
            Arows.append([AT[i][j] * G[j][k] for j in range(n)])
            b.append(F(1) if t == i + k else F(0))
    col = solve(Arows, b)
    for j in range(n): BT[j][t] = col[j]
def show(name, M):
    print(name)
    for row in M: print("  [" + ", ".join(str(x) for x in row) + "]")
show("AT", AT); show("G", G); show("BT", BT)
# verify
import random
for _ in range(5):
    g = [F(random.randint(-9,9)) for _ in range(r)]
    d = [F(random.randint(-9,9)) for _ in range(n)]
    Gg = [sum(G[j][k]*g[k] for k in range(r)) for j in range(n)]
    Bd = [sum(BT[j][t]*d[t] for t in range(n)) for j in range(n)]
    y = [sum(AT[i][j]*Gg[j]*Bd[j] for j in range(n)) for i in range(m)]
    assert y == [sum(g[k]*d[i+k] for k in range(r)) for i in range(m)]
# reversal: (G rev g)_j = c_j (G g)_{pi j}
inv = {}
allp = pts + ['inf']
for j, p in enumerate(allp):
    q = 'inf' if p == 0 else (F(0) if p == 'inf' else 1 / p)
    inv[j] = allp.index(q)
for j in range(n):
    pj = inv[j]
    # find c: G[j] reversed == c * G[pj]
    rev = G[j][::-1]
    c = None
    for a, b in zip(rev, G[pj]):
        if b != 0: c = a / b
    assert all(a == c * b for a, b in zip(rev, G[pj]))
    print("j", j, "pi", pj, "c", c)
