"""Epoch time of Gao et al.'s FC2 and LeNet-5 in PyTorch on CPU: what a user of the MPONet suite
would otherwise run. The same networks, initialization scales, batch (100), optimizer (plain SGD,
lr0 * 0.99^(step/600), L2 1e-4 as weight decay) and data (MNIST 60,000 training images, pixels/255)
as `tnbench run MPONet`; only the epoch's training steps are timed (no evaluation), as the suite's
`epoch_seconds` is.

    python ci/frameworks/pytorch_mponet.py [--threads 2] [--epochs 3] [--networks fc2,lenet5,mpo_fc2:2,mpo_fc2:16]

Prints one line per network: median epoch seconds over the epochs, and the last epoch's test
accuracy as a sanity check. Reads MNIST's IDX files from TNBENCH_DATA_DIR (default
~/.cache/tnbench/data/mnist), where `tnbench data fetch` puts them.
"""
import argparse
import gzip
import os
import statistics
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_mnist():
    root = os.environ.get("TNBENCH_DATA_DIR") or os.path.expanduser("~/.cache/tnbench/data")
    folder = os.path.join(root, "mnist")
    def find(stem):
        for name in (stem, stem + ".gz"):
            if os.path.exists(os.path.join(folder, name)):
                return os.path.join(folder, name)
        raise SystemExit(f"{stem} not found in {folder}: run `tnbench data fetch` first")
    x = read_idx(find("train-images-idx3-ubyte")).astype(np.float32) / 255
    y = read_idx(find("train-labels-idx1-ubyte")).astype(np.int64)
    tx = read_idx(find("t10k-images-idx3-ubyte")).astype(np.float32) / 255
    ty = read_idx(find("t10k-labels-idx1-ubyte")).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(tx), torch.from_numpy(ty)


def truncated(shape, std):
    return nn.Parameter(nn.init.trunc_normal_(torch.empty(shape), std=std, a=-2 * std, b=2 * std))


class FC2(nn.Module):
    def __init__(self):
        super().__init__()
        self.w1 = truncated((784, 256), 0.1)
        self.w2 = truncated((256, 10), 0.1)

    def forward(self, x):
        return F.relu(x.reshape(-1, 784) @ self.w1) @ self.w2


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5, padding=2)
        self.c2 = nn.Conv2d(6, 16, 5)
        self.c3 = nn.Conv2d(16, 120, 5)
        for c in (self.c1, self.c2, self.c3):
            nn.init.trunc_normal_(c.weight, std=0.1, a=-0.2, b=0.2)
            nn.init.zeros_(c.bias)
        self.f1 = truncated((120, 84), 0.1)
        self.f2 = truncated((84, 10), 0.1)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x.reshape(-1, 1, 28, 28))), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = F.relu(self.c3(x)).reshape(-1, 120)
        return F.relu(x @ self.f1) @ self.f2


class MPOLinear(nn.Module):
    """M_{I}^{J}(D) applied core by core with einsum, as a PyTorch user would write it."""
    def __init__(self, ins, outs, bond):
        super().__init__()
        n = len(ins)
        self.ins, self.outs = ins, outs
        cores = []
        for k in range(n):
            left, right = (1 if k == 0 else bond), (1 if k == n - 1 else bond)
            std = (2.0 / (outs[k] * right + left * ins[k])) ** 0.5 / 0.87962566103423978
            cores.append(truncated((left, ins[k], outs[k], right), std))
        self.cores = nn.ParameterList(cores)
        self.bias = nn.Parameter(torch.zeros(int(np.prod(outs))))

    def forward(self, x):
        b = x.shape[0]
        w = self.cores[0]
        for core in self.cores[1:]:          # dense matrix once per step, then one GEMM
            w = torch.einsum("...a,aijb->...ijb", w, core)
        n = len(self.ins)
        w = w.reshape([i for pair in zip(self.ins, self.outs) for i in pair])
        w = w.permute(list(range(0, 2 * n, 2)) + list(range(1, 2 * n, 2))).reshape(int(np.prod(self.ins)), -1)
        return x.reshape(b, -1) @ w + self.bias


class MPOFC2(nn.Module):
    def __init__(self, bond):
        super().__init__()
        self.l1 = MPOLinear([4, 7, 7, 4], [4, 4, 4, 4], bond)
        self.l2 = MPOLinear([4, 4, 4, 4], [1, 1, 10, 1], 4)

    def forward(self, x):
        return self.l2(F.relu(self.l1(x.reshape(-1, 784))))


def build(name):
    if name == "fc2":
        return FC2(), 0.8
    if name == "lenet5":
        return LeNet5(), 0.01
    if name.startswith("mpo_fc2:"):
        return MPOFC2(int(name.split(":")[1])), 0.8
    raise SystemExit(f"unknown network {name}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--networks", default="fc2,lenet5")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    x, y, tx, ty = load_mnist()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, mkldnn {torch.backends.mkldnn.is_available()}")
    for name in args.networks.split(","):
        model, lr0 = build(name)
        opt = torch.optim.SGD(model.parameters(), lr=lr0, weight_decay=1e-4)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 0.99 ** (step / 600))
        seconds = []
        for epoch in range(args.epochs):
            order = torch.randperm(x.shape[0])
            start = time.perf_counter()
            for b in range(x.shape[0] // 100):
                idx = order[b * 100:(b + 1) * 100]
                loss = F.cross_entropy(model(x[idx]), y[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
            seconds.append(time.perf_counter() - start)
        with torch.no_grad():
            accuracy = (model(tx).argmax(1) == ty).float().mean().item()
        print(f"{name}: epoch {statistics.median(seconds):.3f} s (median of {args.epochs}: "
              f"{', '.join(f'{s:.3f}' for s in seconds)}), test accuracy {accuracy:.4f}")


if __name__ == "__main__":
    main()
