#!/usr/bin/python3
"""PyTorch peer for the training-speed benchmark (not a dependency of kiloml).

FastGRNN (SPEC §1) written the ordinary way with torch.nn modules: low-rank W = W1·W2 and
U = U1·U2 as bias-free nn.Linear pairs, a Python loop over time steps, nn.Linear classifier,
nn.CrossEntropyLoss, torch.optim.Adam, gradient-norm clipping. It trains on the same data
(HAR-2 by default) for a fixed number of minibatches and prints one JSON line with samples/s.

    /usr/bin/python3 bench/peer_torch_fastgrnn.py --data ../shared/datasets/har/har.h5 --labels y2 \
        --hidden 80 --rank-w 5 --rank-u 40 --batch 100 --threads 2 --batches 60
"""
import argparse
import json
import time

import h5py
import numpy as np
import torch
from torch import nn


class LowRankLinear(nn.Module):
    """x·W1·W2 without forming W1·W2 (rank 0 = one full matrix)."""

    def __init__(self, n_in, n_out, rank):
        super().__init__()
        if rank > 0:
            self.f = nn.Sequential(nn.Linear(n_in, rank, bias=False), nn.Linear(rank, n_out, bias=False))
        else:
            self.f = nn.Linear(n_in, n_out, bias=False)
        for p in self.parameters():
            nn.init.normal_(p, 0.0, 0.1)

    def forward(self, x):
        return self.f(x)


class FastGRNNCell(nn.Module):
    def __init__(self, d, h, rank_w, rank_u):
        super().__init__()
        self.W = LowRankLinear(d, h, rank_w)
        self.U = LowRankLinear(h, h, rank_u)
        self.b_g = nn.Parameter(torch.ones(h))
        self.b_h = nn.Parameter(torch.ones(h))
        self.zeta = nn.Parameter(torch.tensor(1.0))
        self.nu = nn.Parameter(torch.tensor(-4.0))

    def forward(self, x, h):
        a = self.W(x) + self.U(h)
        z = torch.sigmoid(a + self.b_g)
        c = torch.tanh(a + self.b_h)
        return z * h + (torch.sigmoid(self.zeta) * (1 - z) + torch.sigmoid(self.nu)) * c


class Model(nn.Module):
    def __init__(self, d, h, c, rank_w, rank_u):
        super().__init__()
        self.h = h
        self.cell = FastGRNNCell(d, h, rank_w, rank_u)
        self.fc = nn.Linear(h, c)

    def forward(self, x):  # x: [B, T, D]
        h = x.new_zeros(x.shape[0], self.h)
        for t in range(x.shape[1]):
            h = self.cell(x[:, t, :], h)
        return self.fc(h)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--labels", default="y")
    ap.add_argument("--hidden", type=int, default=80)
    ap.add_argument("--rank-w", type=int, default=5)
    ap.add_argument("--rank-u", type=int, default=40)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batches", type=int, default=60, help="timed minibatches (after 3 warm-up ones)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    with h5py.File(a.data, "r") as f:
        X = np.asarray(f["X_train"], dtype=np.float32)
        y = np.asarray(f[a.labels + "_train"], dtype=np.int64)
    mean = X.reshape(-1, X.shape[2]).mean(0)
    std = X.reshape(-1, X.shape[2]).std(0) + 1e-8
    X = (X - mean) / std
    n, T, D = X.shape
    C = int(y.max()) + 1
    model = Model(D, a.hidden, C, a.rank_w, a.rank_u)
    opt = torch.optim.Adam(model.parameters(), lr=0.005)
    lossf = nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    rng = np.random.default_rng(a.seed)

    def step():
        idx = torch.from_numpy(rng.integers(0, n, a.batch))
        opt.zero_grad()
        loss = lossf(model(Xt[idx]), yt[idx])
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        return float(loss)

    for _ in range(3):
        step()
    t0 = time.perf_counter()
    for _ in range(a.batches):
        last = step()
    dt = time.perf_counter() - t0
    print(json.dumps({"peer": "pytorch", "torch_version": torch.__version__, "threads": a.threads,
                      "batches": a.batches, "batch": a.batch, "timesteps": T, "features": D,
                      "hidden": a.hidden, "seconds": dt, "samples_per_second": a.batches * a.batch / dt,
                      "last_loss": last}))


if __name__ == "__main__":
    main()
