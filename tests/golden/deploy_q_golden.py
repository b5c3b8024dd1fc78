#!/usr/bin/env python3
"""Golden values for the integer kernels of deploy/ (tests/test_deploy_q.c).

Worked out independently of the C code, with plain Python integers (unbounded, so any
overflow in the C code shows up as a mismatch), straight from the formulas documented in
deploy/include/kiloml/kml_q.h and kml_rnn.h. Writes deploy_q_golden.h next to this file:

    python3 tests/golden/deploy_q_golden.py

Matrices are generated as plain row-major lists W[i][j] (y = x.W) and only converted to the
deploy layouts (output-major dense, column lists for sparse) when written out.
"""
import math
import os
import random

rng = random.Random(20261122)


def rsr(v, s):
    """round half up: floor((v + 2^(s-1)) / 2^s); Python's >> is floor division."""
    return v if s == 0 else (v + (1 << (s - 1))) >> s


def sat16(v):
    return max(-32768, min(32767, v))


def clipconv(v, lo, hi, qf, qt):
    v = max(lo, min(hi, v))
    return rsr(v, qf - qt) if qf >= qt else v * (1 << (qt - qf))


def qtanh(x, qa, qg):
    return clipconv(x, -(1 << qa), 1 << qa, qa, qg)


def qsigm(x, qa, qg):
    return clipconv(x + (1 << qa), 0, 2 << qa, qa + 1, qg)


def hsigm(x, qa, qg):
    """hardSigm = clip(x/4 + 1/2, 0, 1): x + 2^(qa+1) read as Q(qa+2)"""
    return clipconv(x + (2 << qa), 0, 4 << qa, qa + 2, qg)


# tanh / sigmoid by table (kml_q.h kml_tanh_q, kml_sigm_q): tanh on [0, 6] at steps of 1/16 in Q15,
# linear interpolation, sigmoid(x) = (1 + tanh(x/2)) / 2
TANH_TAB = [min(32767, int(math.floor(math.tanh(k / 16) * 32768 + 0.5))) for k in range(97)]


def tanh_mag(a, qa):
    if a >= 6 << qa:
        return 32768
    if qa > 19:
        a >>= qa - 19
        fb = 15
    elif qa >= 4:
        fb = qa - 4
    else:
        a <<= 4 - qa
        fb = 0
    k = a >> fb
    t0 = TANH_TAB[k]
    if fb == 0:
        return t0
    return t0 + rsr((TANH_TAB[k + 1] - t0) * (a & ((1 << fb) - 1)), fb)


def stanh(x, qa, qg):
    y = rsr(tanh_mag(abs(x), qa), 15 - qg)
    return -y if x < 0 else y


def ssigm(x, qa, qg):
    t = tanh_mag(abs(x), qa + 1)
    return rsr(32768 + (-t if x < 0 else t), 16 - qg)


def act(kind, x, qa, qg):
    return {"sigm": qsigm, "hsig": hsigm, "tanh": qtanh, "stanh": stanh, "ssigm": ssigm}[kind](x, qa, qg)


def norm(xr, m, s, sh):
    return sat16(rsr(sat16(xr - m) * s, sh))


def rand_matrix(rows, cols, bits, density, maxabs):
    """row-major rows x cols integer matrix; zeros where pruned; column abs-sums kept <= 32768"""
    W = [[0] * cols for _ in range(rows)]
    for j in range(cols):
        for i in range(rows):
            if rng.random() < density:
                W[i][j] = rng.randint(-maxabs, maxabs)
        if density < 1 and all(W[i][j] == 0 for i in range(rows)):
            pass  # an empty column is legal
    return W


def colsum_ok(W):
    return all(sum(abs(W[i][j]) for i in range(len(W))) <= 32768 for j in range(len(W[0])))


def matvec(W, x):
    rows, cols = len(W), len(W[0])
    return [sum(x[i] * W[i][j] for i in range(rows)) for j in range(cols)]


def clamp28(v):
    return max(-(1 << 28), min(1 << 28, v))


def lin_apply(lin, x, qin, qa):
    """x.W in Q qa (list of ints), lin = dict(rank, A, qA, [B, qB, qmid])"""
    if lin["rank"] == 0:
        acc = matvec(lin["A"], x)
        return [clamp28(rsr(a, qin + lin["qA"] - qa)) for a in acc]
    mid = [sat16(rsr(a, qin + lin["qA"] - lin["qmid"])) for a in matvec(lin["A"], x)]
    acc = matvec(lin["B"], mid)
    return [clamp28(rsr(a, lin["qmid"] + lin["qB"] - qa)) for a in acc]


def step(m, xr, h):
    if m["norm"]:
        x = [norm(xr[i], m["nm"][i], m["ns"][i], m["nshift"]) for i in range(m["D"])]
    else:
        x = list(xr)
    aw = lin_apply(m["W"], x, m["qx"], m["qa"])
    au = lin_apply(m["U"], h, m["qh"], m["qa"])
    qg, qh, qa = m["qg"], m["qh"], m["qa"]
    out = []
    for j in range(m["H"]):
        a = aw[j] + au[j]
        c = act(m["unl"], a + m["bh"][j], qa, qg)
        if m["cell"] == "fastrnn":
            hn = rsr(m["beta"] * h[j], qg) + rsr(m["alpha"] * c, 2 * qg - qh)
        else:
            z = act(m["gnl"], a + m["bg"][j], qa, qg)
            coef = rsr(m["zeta"] * ((1 << qg) - z), qg) + m["nu"]
            hn = rsr(z * h[j], qg) + rsr(coef * c, 2 * qg - qh)
        out.append(sat16(hn))
    return out


def logits(m, h):
    return [a + b for a, b in zip(matvec(m["V"], h), m["v"])]


# ---------------------------------------------------------------- C output helpers
lines = []


def arr(ctype, name, vals, flash=True):
    """model arrays go to flash (KML_FLASH: PROGMEM on AVR, read by the kernels through KML_READ_*);
    inputs and expected outputs stay ordinary arrays, read directly by the test"""
    body = ", ".join(str(v) for v in vals)
    attr = " KML_FLASH" if flash else ""
    lines.append(f"static const {ctype} {name}[{len(vals)}]{attr} = {{{body}}};")


def dense_t(W):
    rows, cols = len(W), len(W[0])
    return [W[i][j] for j in range(cols) for i in range(rows)]


def csc(W):
    rows, cols = len(W), len(W[0])
    val, idx, ptr = [], [], [0]
    for j in range(cols):
        for i in range(rows):
            if W[i][j] != 0:
                val.append(W[i][j])
                idx.append(i)
        ptr.append(len(val))
    return val, idx, ptr


def emit_mat(prefix, W, bits, sparse):
    assert colsum_ok(W), prefix
    wt = "int8_t" if bits == 8 else "int16_t"
    if sparse:
        val, idx, ptr = csc(W)
        arr(wt, prefix + "_w", val)
        arr("uint8_t" if len(W) <= 256 else "uint16_t", prefix + "_idx", idx)
        arr("uint16_t", prefix + "_ptr", ptr)
        lines.append(f"#define {prefix.upper()}_NNZ {len(val)}")
    else:
        arr(wt, prefix + "_w", dense_t(W))


# ---------------------------------------------------------------- 1. primitives
prim = []
for v in [0, 1, -1, 2, -2, 3, -3, 5, -5, 6, -6, 7, -7, 1023, -1024, 32767, -32768, 123456789, -123456789,
          (1 << 30), -(1 << 30)]:
    for s in [0, 1, 2, 3, 7, 15, 30]:
        prim.append((v, s, rsr(v, s)))
lines.append("/* rshift_round: {v, s, expected} */")
lines.append("static const int32_t g_rsr[][3] = {" + ", ".join(f"{{{a}, {b}, {c}}}" for a, b, c in prim) + "};")

qt = []
for x in [-70000, -4097, -4096, -4095, -2049, -1, 0, 1, 2047, 2048, 2049, 4095, 4096, 4097, 70000, 3, -3, 5, -5]:
    for qa, qg in [(12, 14), (12, 12), (14, 10), (10, 14), (13, 7)]:
        qt.append((x, qa, qg, qtanh(x, qa, qg), qsigm(x, qa, qg)))
lines.append("/* {x, qa, qg, quantTanh, quantSigm} */")
lines.append("static const int32_t g_qact[][5] = {" + ", ".join("{" + ", ".join(map(str, r)) + "}" for r in qt) + "};")

ht = []
for x in [-70000, -8193, -8192, -8191, -4096, -2049, -1, 0, 1, 2, 3, -3, 5, 2047, 2048, 4095, 8191, 8192, 8193, 70000]:
    for qa, qg in [(12, 14), (12, 12), (14, 10), (10, 14), (13, 7), (11, 13)]:
        ht.append((x, qa, qg, hsigm(x, qa, qg)))
lines.append("/* {x, qa, qg, hardSigm} */")
lines.append("static const int32_t g_hsig[][4] = {" + ", ".join("{" + ", ".join(map(str, r)) + "}" for r in ht) + "};")

st = []
for x in [-70000, -24577, -24576, -24575, -8192, -4097, -2049, -257, -256, -255, -1, 0, 1, 2, 3, 255, 256, 257, 2047, 2048,
          4095, 8191, 24575, 24576, 24577, 70000, 1 << 30, -(1 << 30)]:
    for qa, qg in [(12, 14), (12, 12), (14, 10), (10, 14), (13, 7), (11, 13), (2, 14), (3, 12), (4, 13), (19, 14), (20, 13), (26, 14)]:
        st.append((x, qa, qg, stanh(x, qa, qg), ssigm(x, qa, qg)))
lines.append("/* {x, qa, qg, tanh, sigmoid} by table */")
lines.append("static const int32_t g_stab[][5] = {" + ", ".join("{" + ", ".join(map(str, r)) + "}" for r in st) + "};")

nq = []
for xr, mm, ss, sh in [(100, 20, 1000, 8), (-32768, 32767, 32767, 0), (32767, -32768, 32767, 30), (-500, 1200, -3000, 5),
                       (7, 7, 123, 3), (1, 0, 3, 1), (-1, 0, 3, 1), (30000, -30000, 20000, 14), (12, 3, -32768, 2)]:
    nq.append((xr, mm, ss, sh, norm(xr, mm, ss, sh)))
lines.append("/* {x_raw, m, s, shift, expected} */")
lines.append("static const int32_t g_norm[][5] = {" + ", ".join("{" + ", ".join(map(str, r)) + "}" for r in nq) + "};")

# ---------------------------------------------------------------- 2. two small models, 4 steps each
T = 4
W8MAX = [127]
XMAX = [9000]


def make_lin(name, rows, cols, rank, bitsA, bitsB, spA, spB, qA, qB, qmid):
    if rank == 0:
        A = rand_matrix(rows, cols, bitsA, 0.4 if spA else 1.0, W8MAX[0] if bitsA == 8 else 3000)
        emit_mat(name + "_a", A, bitsA, spA)
        return dict(rank=0, A=A, qA=qA, bitsA=bitsA, spA=spA)
    A = rand_matrix(rows, rank, bitsA, 0.4 if spA else 1.0, W8MAX[0] if bitsA == 8 else 3000)
    B = rand_matrix(rank, cols, bitsB, 0.4 if spB else 1.0, W8MAX[0] if bitsB == 8 else 3000)
    emit_mat(name + "_a", A, bitsA, spA)
    emit_mat(name + "_b", B, bitsB, spB)
    return dict(rank=rank, A=A, B=B, qA=qA, qB=qB, qmid=qmid)


def make_model(tag, cell, D, H, C, Wspec, Uspec, use_norm, gnl, unl, q):
    m = dict(cell=cell, D=D, H=H, C=C, gnl=gnl, unl=unl, norm=use_norm, **q)
    lines.append(f"/* ---- model {tag}: {cell} D={D} H={H} C={C} */")
    m["W"] = make_lin(f"{tag}_W", D, H, *Wspec)
    m["U"] = make_lin(f"{tag}_U", H, H, *Uspec)
    m["bh"] = [rng.randint(-3000, 3000) for _ in range(H)]
    m["bg"] = [rng.randint(-3000, 3000) for _ in range(H)]
    arr("int16_t", f"{tag}_bh", m["bh"])
    arr("int16_t", f"{tag}_bg", m["bg"])
    m["V"] = rand_matrix(H, C, 8, 1.0, 127)
    emit_mat(f"{tag}_V", m["V"], 8, False)
    m["v"] = [rng.randint(-200000, 200000) for _ in range(C)]
    arr("int32_t", f"{tag}_v", m["v"])
    if use_norm:
        m["nm"] = [rng.randint(-2000, 2000) for _ in range(D)]
        m["ns"] = [rng.randint(500, 20000) for _ in range(D)]
        arr("int16_t", f"{tag}_nm", m["nm"])
        arr("int16_t", f"{tag}_ns", m["ns"])
    X = [[rng.randint(-XMAX[0], XMAX[0]) for _ in range(D)] for _ in range(T)]
    # a few extreme inputs so saturation paths run
    X[1][0] = 32767
    X[2][D - 1] = -32768
    arr("int16_t", f"{tag}_X", [v for row in X for v in row], flash=False)
    h = [0] * H
    hs = []
    for t in range(T):
        h = step(m, X[t], h)
        hs.extend(h)
    arr("int16_t", f"{tag}_hs", hs, flash=False)
    arr("int32_t", f"{tag}_logits", logits(m, h), flash=False)
    return m


# FastGRNN: low-rank W (dense int8 A, sparse int16 B), sparse int16 full U, normalisation, qsigm gate
make_model("ga", "fastgrnn", 6, 10, 3,
           (3, 8, 16, False, True, 6, 12, 11),       # rank, bitsA, bitsB, spA, spB, qA, qB, qmid
           (0, 16, 16, True, False, 13, 0, 0),
           True, "sigm", "tanh",
           dict(qx=11, qh=13, qa=12, qg=14, zeta=13000, nu=700, alpha=0, beta=0, nshift=12))
W8MAX[0], XMAX[0] = 40, 1500
# FastRNN: dense int8 full W, low-rank U (sparse int8 A, dense int8 B), no normalisation
make_model("ra", "fastrnn", 5, 8, 4,
           (0, 8, 8, False, False, 7, 0, 0),
           (2, 8, 8, True, False, 7, 7, 12),
           False, "sigm", "tanh",
           dict(qx=10, qh=12, qa=11, qg=13, zeta=0, nu=0, alpha=600, beta=7800, nshift=0))
W8MAX[0], XMAX[0] = 60, 3000
# FastGRNN with a quantTanh gate and q_a < q_g (left-shift path of the nonlinearities)
make_model("gt", "fastgrnn", 4, 6, 2,
           (0, 8, 8, True, False, 9, 0, 0),
           (0, 8, 8, False, False, 9, 0, 0),
           False, "tanh", "tanh",
           dict(qx=12, qh=12, qa=10, qg=13, zeta=8000, nu=300, alpha=0, beta=0, nshift=0))
W8MAX[0], XMAX[0] = 80, 4000
# FastGRNN with a hardSigm gate: low-rank sparse int8 W and U (the pruned shape the ARMv6-M unit loop takes),
# q_a + 2 > q_g (right-shift path)
make_model("gh", "fastgrnn", 5, 8, 3,
           (3, 8, 8, True, True, 8, 8, 11),
           (4, 8, 8, True, True, 8, 8, 12),
           True, "hsig", "tanh",
           dict(qx=11, qh=12, qa=12, qg=13, zeta=6000, nu=500, alpha=0, beta=0, nshift=12))
# FastRNN with a hardSigm candidate and q_a + 2 < q_g (left-shift path)
make_model("rh", "fastrnn", 4, 6, 2,
           (0, 8, 8, False, False, 9, 0, 0),
           (0, 8, 8, True, False, 9, 0, 0),
           False, "sigm", "hsig",
           dict(qx=12, qh=12, qa=10, qg=13, zeta=0, nu=0, alpha=5000, beta=6000, nshift=0))
# FastGRNN with the smooth forms by table (sigmoid gate, tanh candidate): low-rank sparse int8 W and U
W8MAX[0], XMAX[0] = 90, 5000
make_model("gs", "fastgrnn", 5, 8, 3,
           (3, 8, 8, True, True, 8, 8, 11),
           (4, 8, 8, True, True, 8, 8, 12),
           True, "ssigm", "stanh",
           dict(qx=11, qh=12, qa=12, qg=13, zeta=7000, nu=400, alpha=0, beta=0, nshift=12))
# FastRNN with a tanh candidate by table, int16 weights (a sparse U), pre-activations in Q20 (the table's
# input shift above Q19), of a few units
make_model("rs", "fastrnn", 4, 6, 2,
           (0, 16, 8, False, False, 10, 0, 0),
           (0, 16, 8, True, False, 10, 0, 0),
           False, "sigm", "stanh",
           dict(qx=12, qh=12, qa=20, qg=14, zeta=0, nu=0, alpha=5000, beta=6000, nshift=0))

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "deploy_q_golden.h"), "w") as f:
    f.write("/* deploy_q_golden.h: written by tests/golden/deploy_q_golden.py (plain Python integers). Do not edit. */\n")
    f.write("#ifndef KML_DEPLOY_Q_GOLDEN_H\n#define KML_DEPLOY_Q_GOLDEN_H\n#include <stdint.h>\n#include \"kiloml/kml_port.h\"\n")
    f.write("\n".join(lines) + "\n#endif\n")
print("wrote deploy_q_golden.h:", len(lines), "lines")
