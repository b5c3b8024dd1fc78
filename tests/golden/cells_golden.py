#!/usr/bin/env python3
"""Golden values for tests/test_cell_golden.c, computed independently of the C kernels.

Plain Python floats (double), no numpy: the forward pass of a tiny FastGRNN / FastRNN written
straight from SPEC §1, the classifier and the weighted softmax cross-entropy, and the backward
pass derived by hand (BPTT written out step by step). Run once; its output is pasted into the
C test as constants:   python3 tests/golden/cells_golden.py
Row-vector convention: x_t is 1×D, h_t is 1×H, products are x·W; arrays [t][b][·].
"""
import math

T, B, D, H, C = 3, 2, 2, 3, 2


def sig(x):
    return 1.0 / (1.0 + math.exp(-x))


NL = {
    "tanh": (math.tanh, lambda y: 1 - y * y),
    "sigmoid": (sig, lambda y: y * (1 - y)),
    "quanttanh": (lambda x: max(-1.0, min(1.0, x)), lambda y: 1.0 if -1 < y < 1 else 0.0),
    "quantsigm": (lambda x: max(0.0, min(1.0, (x + 1) / 2)), lambda y: 0.5 if 0 < y < 1 else 0.0),
}


def vecmat(v, M):  # (1×n)·(n×m)
    return [sum(v[i] * M[i][j] for i in range(len(v))) for j in range(len(M[0]))]


def matvec_t(M, v):  # v·Mᵀ: (1×m)·(m×n) with M n×m
    return [sum(M[i][j] * v[j] for j in range(len(v))) for i in range(len(M))]


def outer_add(G, a, b):  # G += aᵀ·b
    for i in range(len(a)):
        for j in range(len(b)):
            G[i][j] += a[i] * b[j]


def zeros(r, c):
    return [[0.0] * c for _ in range(r)]


# ---- fixed inputs ---------------------------------------------------------------------------
X = [  # [t][b][d]
    [[0.5, -1.0], [1.5, 0.25]],
    [[-0.75, 0.5], [0.2, -0.4]],
    [[1.0, 0.3], [-0.6, 0.9]],
]
Y_LAST = [1, 0]              # labels of the last-step read-out
Y_EVERY = [0, 1, 1, 0, 0, 1]  # labels of the every-step read-out, row t*B + b
W_EVERY = [1.0, 0.5, 0.0, 2.0, 1.0, 0.25]


def loss_and_grad(logits, y, w):
    """weighted mean softmax cross-entropy and dlogits"""
    sw = sum(wi for wi in w if wi > 0)
    L, d = 0.0, []
    for n, l in enumerate(logits):
        m = max(l)
        lse = m + math.log(sum(math.exp(v - m) for v in l))
        p = [math.exp(v - lse) for v in l]
        if w[n] > 0:
            L += w[n] * (lse - l[y[n]])
            d.append([w[n] * (p[k] - (1.0 if k == y[n] else 0.0)) / sw for k in range(len(l))])
        else:
            d.append([0.0] * len(l))
    return L / sw, d


def run(cell, P, readout, gnl="sigmoid", unl="tanh"):
    g, dg = NL[gnl]
    f, df = NL[unl]
    lowW, lowU = "W1" in P, "U1" in P

    def xw(x):
        return vecmat(vecmat(x, P["W1"]), P["W2"]) if lowW else vecmat(x, P["W"])

    def hu(h):
        return vecmat(vecmat(h, P["U1"]), P["U2"]) if lowU else vecmat(h, P["U"])

    # forward
    Hs = [[None] * B for _ in range(T)]
    Z = [[None] * B for _ in range(T)]
    Cc = [[None] * B for _ in range(T)]
    for b in range(B):
        h = [0.0] * H
        for t in range(T):
            a = [p + q for p, q in zip(xw(X[t][b]), hu(h))]
            if cell == "fastgrnn":
                sz, sn = sig(P["zeta"]), sig(P["nu"])
                z = [g(a[j] + P["b_g"][j]) for j in range(H)]
                c = [f(a[j] + P["b_h"][j]) for j in range(H)]
                h = [z[j] * h[j] + (sz * (1 - z[j]) + sn) * c[j] for j in range(H)]
                Z[t][b] = z
            else:  # fastrnn
                sa, sb = sig(P["alpha"]), sig(P["beta"])
                c = [f(a[j] + P["b"][j]) for j in range(H)]
                h = [sb * h[j] + sa * c[j] for j in range(H)]
            Cc[t][b] = c
            Hs[t][b] = h
    rows = [(T - 1, b) for b in range(B)] if readout == "last" else [(t, b) for t in range(T) for b in range(B)]
    y = Y_LAST if readout == "last" else Y_EVERY
    w = [1.0] * B if readout == "last" else W_EVERY
    logits = [[sum(Hs[t][b][i] * P["V"][i][k] for i in range(H)) + P["v"][k] for k in range(C)] for t, b in rows]
    L, dlog = loss_and_grad(logits, y, w)

    # backward, by hand
    G = {k: (zeros(len(v), len(v[0])) if isinstance(v, list) and isinstance(v[0], list)
             else ([0.0] * len(v) if isinstance(v, list) else 0.0)) for k, v in P.items()}
    dHs = [[[0.0] * H for _ in range(B)] for _ in range(T)]
    for n, (t, b) in enumerate(rows):
        outer_add(G["V"], Hs[t][b], dlog[n])
        for k in range(C):
            G["v"][k] += dlog[n][k]
        dh = matvec_t(P["V"], dlog[n])
        for j in range(H):
            dHs[t][b][j] += dh[j]
    for b in range(B):
        dh = [0.0] * H
        for t in reversed(range(T)):
            dh = [dh[j] + dHs[t][b][j] for j in range(H)]
            hp = Hs[t - 1][b] if t > 0 else [0.0] * H
            c = Cc[t][b]
            if cell == "fastgrnn":
                sz, sn = sig(P["zeta"]), sig(P["nu"])
                z = Z[t][b]
                dag = [dh[j] * (hp[j] - sz * c[j]) * dg(z[j]) for j in range(H)]
                dah = [dh[j] * (sz * (1 - z[j]) + sn) * df(c[j]) for j in range(H)]
                G["zeta"] += sum(dh[j] * (1 - z[j]) * c[j] for j in range(H)) * sz * (1 - sz)
                G["nu"] += sum(dh[j] * c[j] for j in range(H)) * sn * (1 - sn)
                for j in range(H):
                    G["b_g"][j] += dag[j]
                    G["b_h"][j] += dah[j]
                da = [dag[j] + dah[j] for j in range(H)]
                direct = [dh[j] * z[j] for j in range(H)]
            else:
                sa, sb = sig(P["alpha"]), sig(P["beta"])
                da = [dh[j] * sa * df(c[j]) for j in range(H)]
                G["alpha"] += sum(dh[j] * c[j] for j in range(H)) * sa * (1 - sa)
                G["beta"] += sum(dh[j] * hp[j] for j in range(H)) * sb * (1 - sb)
                for j in range(H):
                    G["b"][j] += da[j]
                direct = [sb * dh[j] for j in range(H)]
            x = X[t][b]
            if lowW:
                outer_add(G["W2"], vecmat(x, P["W1"]), da)
                outer_add(G["W1"], x, matvec_t(P["W2"], da))
            else:
                outer_add(G["W"], x, da)
            if lowU:
                du1 = matvec_t(P["U2"], da)
                outer_add(G["U2"], vecmat(hp, P["U1"]), da)
                outer_add(G["U1"], hp, du1)
                back = matvec_t(P["U1"], du1)
            else:
                outer_add(G["U"], hp, da)
                back = matvec_t(P["U"], da)
            dh = [direct[j] + back[j] for j in range(H)]
    return Hs, logits, L, G


def flat(v):
    if isinstance(v, list):
        return [x for e in v for x in flat(e)]
    return [v]


def emit(name, vals):
    body = ", ".join("%.12g" % v for v in vals)
    print("static const double %s[%d] = {%s};" % (name, len(vals), body))


ORDER = ["W", "W1", "W2", "U", "U1", "U2", "b", "b_g", "b_h", "alpha", "beta", "zeta", "nu", "V", "v"]


def report(tag, P, Hs, logits, L, G):
    emit(tag + "_Hs", flat(Hs))
    emit(tag + "_logits", flat(logits))
    print("static const double %s_loss = %.12g;" % (tag, L))
    for k in ORDER:
        if k in G:
            emit("%s_g_%s" % (tag, k), flat(G[k]))


V = [[0.3, -0.2], [-0.5, 0.4], [0.1, 0.6]]
v = [0.05, -0.05]

P1 = {  # FastGRNN, full rank, sigmoid gate, tanh update, last-step read-out
    "W": [[0.2, -0.1, 0.4], [0.3, 0.25, -0.35]],
    "U": [[0.1, -0.2, 0.05], [0.3, 0.15, -0.1], [-0.25, 0.2, 0.12]],
    "b_g": [0.5, -0.3, 0.1], "b_h": [-0.2, 0.4, 0.05], "zeta": 1.0, "nu": -4.0, "V": V, "v": v,
}
P2 = {  # FastRNN, full rank, tanh, every-step read-out with weights
    "W": [[0.4, -0.3, 0.2], [-0.1, 0.5, 0.3]],
    "U": [[0.2, 0.1, -0.3], [-0.15, 0.25, 0.1], [0.05, -0.2, 0.3]],
    "b": [0.1, -0.2, 0.3], "alpha": -1.5, "beta": 2.0, "V": V, "v": v,
}
P3 = {  # FastGRNN, W rank 1, U rank 2, quantSigm gate, quantTanh update, last-step read-out
    "W1": [[0.6], [-0.4]], "W2": [[0.5, -0.3, 0.2]],
    "U1": [[0.3, -0.2], [0.1, 0.4], [-0.3, 0.2]], "U2": [[0.5, -0.2, 0.1], [0.2, 0.3, -0.4]],
    "b_g": [0.2, -0.1, 0.3], "b_h": [0.1, -0.15, 0.05], "zeta": 0.5, "nu": -2.0, "V": V, "v": v,
}

if __name__ == "__main__":
    print("/* generated by tests/golden/cells_golden.py */")
    for tag, cell, P, ro, gn, un in (("g1", "fastgrnn", P1, "last", "sigmoid", "tanh"),
                                     ("g2", "fastrnn", P2, "every", "sigmoid", "tanh"),
                                     ("g3", "fastgrnn", P3, "last", "quantsigm", "quanttanh")):
        Hs, logits, L, G = run(cell, P, ro, gn, un)
        report(tag, P, Hs, logits, L, G)
