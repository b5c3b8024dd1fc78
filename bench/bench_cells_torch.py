#!/usr/bin/python3
"""PyTorch reference for bench_cells: the same FastGRNN (SPEC §1, written directly in PyTorch as in
the SPEC §6 calibration: low-rank W and U, a Python loop over time steps, autograd for BPTT),
forward + backward of one batch with the classifier on the last step and cross-entropy.
Default: HAR-2 configuration T=128 D=9 H=80 rW=5 rU=40 batch 100.

    /usr/bin/python3 bench/bench_cells_torch.py [--threads 1,2] [--seconds 3]

Prints samples/s (wall) and samples per CPU second, like bench_cells. Needs python3-torch (Debian).
"""
import argparse
import time

import torch


class FastGRNN(torch.nn.Module):
    def __init__(self, D, H, C, rW, rU):
        super().__init__()
        n = lambda *s: torch.nn.Parameter(0.1 * torch.randn(*s))
        self.W1, self.W2 = n(D, rW), n(rW, H)
        self.U1, self.U2 = n(H, rU), n(rU, H)
        self.bg = torch.nn.Parameter(torch.ones(H))
        self.bh = torch.nn.Parameter(torch.ones(H))
        self.zeta = torch.nn.Parameter(torch.tensor(1.0))
        self.nu = torch.nn.Parameter(torch.tensor(-4.0))
        self.V = n(H, C)
        self.v = torch.nn.Parameter(torch.zeros(C))

    def forward(self, X):  # X [T][B][D]
        T, B, _ = X.shape
        h = X.new_zeros(B, self.U1.shape[0])
        xw = (X @ self.W1) @ self.W2  # all steps at once, as a fair PyTorch user would
        sz, sn = torch.sigmoid(self.zeta), torch.sigmoid(self.nu)
        for t in range(T):
            a = xw[t] + (h @ self.U1) @ self.U2
            z = torch.sigmoid(a + self.bg)
            c = torch.tanh(a + self.bh)
            h = z * h + (sz * (1 - z) + sn) * c
        return h @ self.V + self.v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=128)
    ap.add_argument("--inputs", type=int, default=9)
    ap.add_argument("--hidden", type=int, default=80)
    ap.add_argument("--rank-w", type=int, default=5)
    ap.add_argument("--rank-u", type=int, default=40)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--threads", default="1,2")
    a = ap.parse_args()
    torch.manual_seed(0)
    m = FastGRNN(a.inputs, a.hidden, 2, a.rank_w, a.rank_u)
    X = torch.randn(a.steps, a.batch, a.inputs)
    y = torch.randint(0, 2, (a.batch,))
    print("bench_cells_torch: torch %s fastgrnn T=%d D=%d H=%d rW=%d rU=%d batch=%d"
          % (torch.__version__, a.steps, a.inputs, a.hidden, a.rank_w, a.rank_u, a.batch))
    for nt in [int(s) for s in a.threads.split(",")]:
        torch.set_num_threads(nt)
        t0, c0, it = time.perf_counter(), time.process_time(), 0
        while True:
            m.zero_grad()
            loss = torch.nn.functional.cross_entropy(m(X), y)
            loss.backward()
            it += 1
            t = time.perf_counter() - t0
            if t >= a.seconds and it >= 2:
                break
        c = time.process_time() - c0
        print("threads %d: %d batches in %.2f s: %.0f samples/s forward+backward (%.1f ms/batch); "
              "per CPU second: %.0f samples" % (nt, it, t, it * a.batch / t, 1e3 * t / it, it * a.batch / c))


if __name__ == "__main__":
    main()
