"""Stoudenmire & Schwab's two-site sweeps written again in plain NumPy (float64), under the TNBench
harness (contract 1, docs/IMPLEMENTATIONS.md): a second implementation of the algorithm, to tell
"the paper's problem" from "ours".

Protocol, as StoudenmireMPSProblem hands it over and NativeStoudenmireMPS runs it:
  model     the starting MPS of the problem (set `initial_mps`, label core [1, d, C, D1] on site 0),
            sites 1..L-1 brought to right-canonical form by QR; every input's environment vectors
            scaled to unit norm (per-input normalization); the label core then scaled so that the
            outputs' root-mean-square over the training set is 1/sqrt(C).
  features  phi(x) = [cos(pi x / 2), sin(pi x / 2)] of the pooled pixels x in site order.
  bond      at (j, j+1): B[l, s, c, t, r] = the two cores contracted with the label leg; with
            a_n = L_j(x_n) (x) phi(x_nj) and b_n = phi(x_n,j+1) (x) R_j+2(x_n), f^c(x_n) = a_n^T B^c b_n
            and the cost 1/2 sum_n |f(x_n) - y_n|^2 / N with one-hot y. `cg_steps` iterations of
            conjugate gradients on the normal equations from the current B (solver=cg; stopped when
            r.r falls below float32's epsilon times its first value or p.Ap <= 0), or the authors'
            unit-norm passes (solver=tnml: B, r, p rescaled to 1 each pass, r recomputed at each B).
  split     SVD of B with the label leg going in the sweep's direction, keeping at most m singular
            values and dropping the smallest while their weight stays within `relative_cutoff` of
            the total; the environment the bond leaves behind extended by one site.
  schedule  each sweep: site 0 -> centre, centre -> L-1, L-1 -> centre, centre -> 0; the last sweep
            stops at the centre. An epoch of the contract is the span between two passes of the
            label through the centre; after each, the training and test scores (the outputs with
            every input's environments normalized: positive factors, the same arg max).

Differences from native: float64 throughout (native: float32), NumPy's BLAS and LAPACK (gesdd),
one thread; QR where native takes LQ of the same matrices (the same right-canonical gauge up to
signs, which the per-input normalization and the SVDs make irrelevant to the function); no
workers. Memory: the cached environments, L x N x m float64 (300 MB at the ci tier's m = 20).
"""
import json
import math
import os
import sys
import time

problem = json.load(open(sys.argv[-1]))
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = str(problem["threads"])  # before NumPy loads its BLAS
import numpy as np  # noqa: E402

FLOAT32_EPSILON = float(np.finfo(np.float32).eps)


def emit(**event):
    print(json.dumps(event), flush=True)


def unit_rows(v):
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    norms[norms == 0] = 1
    return v / norms


class Sweeper:
    def __init__(self, cores, features, labels, m, cutoff, cg_steps, solver):
        self.cores = [c.astype(np.float64) for c in cores]
        self.F = features  # [N, L, d]
        self.N, self.L, self.d = features.shape
        self.C = self.cores[0].shape[2]
        self.Y = np.zeros((self.N, self.C))
        self.Y[np.arange(self.N), labels] = 1
        self.m, self.cutoff, self.cg_steps, self.solver = m, cutoff, cg_steps, solver
        self.label = 0
        self.left = [None] * (self.L + 1)
        self.right = [None] * (self.L + 1)
        self.left[0] = np.ones((self.N, 1))
        self.right[self.L] = np.ones((self.N, 1))
        for j in range(self.L - 1, 0, -1):
            core = self.cores[j]
            dl, d, dr = core.shape
            q, r = np.linalg.qr(core.reshape(dl, d * dr).T)  # M^T = Q R, so M = R^T Q^T
            self.cores[j] = q.T.reshape(q.shape[1], d, dr)
            prev = self.cores[j - 1]
            self.cores[j - 1] = (prev.reshape(-1, prev.shape[-1]) @ r.T).reshape(prev.shape[:-1] + (r.shape[0],))
            self.extend_right(j)
        f = self.label_outputs(self.left[0], self.cores[0], self.right[1], 0)
        rms = math.sqrt(float(np.mean(f * f)))
        if rms > 0 and math.isfinite(rms):
            self.cores[0] = self.cores[0] / (math.sqrt(self.C) * rms)

    # -- environments ----------------------------------------------------------------------------

    def extend_right(self, j):
        core = self.cores[j]
        dl, d, dr = core.shape
        t = (self.right[j + 1] @ core.reshape(dl * d, dr).T).reshape(self.N, dl, d)
        self.right[j] = unit_rows(np.einsum("nas,ns->na", t, self.F[:, j, :]))

    def extend_left(self, j):
        core = self.cores[j]
        dl, d, dr = core.shape
        a = (self.left[j][:, :, None] * self.F[:, j, None, :]).reshape(self.N, dl * d)
        self.left[j + 1] = unit_rows(a @ core.reshape(dl * d, dr))

    def label_outputs(self, left, core, right, site, features=None):
        F = self.F if features is None else features
        dl, d, c, dr = core.shape
        a = (left[:, :, None] * F[:, site, None, :]).reshape(len(left), dl * d)
        t = (a @ core.reshape(dl * d, c * dr)).reshape(len(left), c, dr)
        return np.einsum("ncr,nr->nc", t, right)

    # -- one bond ---------------------------------------------------------------------------------

    def bond_tensor(self, j):
        a, b = self.cores[j], self.cores[j + 1]
        if self.label == j:
            dl, d, c, dm = a.shape
            return (a.reshape(dl * d * c, dm) @ b.reshape(dm, -1)).reshape(dl, d, c, d, b.shape[2])
        dl, d, dm = a.shape
        c, dr = b.shape[2], b.shape[3]
        return (a.reshape(dl * d, dm) @ b.reshape(dm, -1)).reshape(dl, d, d, c, dr).transpose(0, 1, 3, 2, 4)

    def update_bond(self, j, direction):
        shape = self.bond_tensor(j).shape
        dl, d, c, _, dr = shape
        A = (self.left[j][:, :, None] * self.F[:, j, None, :]).reshape(self.N, dl * d)
        Bv = (self.F[:, j + 1, :, None] * self.right[j + 2][:, None, :]).reshape(self.N, d * dr)

        def forward(bond):
            t = (A @ bond.reshape(dl * d, c * d * dr)).reshape(self.N, c, d * dr)
            return np.einsum("ncq,nq->nc", t, Bv)

        def adjoint(e):
            z = (e[:, :, None] * Bv[:, None, :]).reshape(self.N, c * d * dr)
            return (A.T @ z).reshape(shape)

        def residual(bond):
            f = forward(bond)
            return adjoint(self.Y - f), 0.5 * float(np.sum((f - self.Y) ** 2)) / self.N

        bond = self.bond_tensor(j)
        r, cost_before = residual(bond)
        if self.solver == "tnml":
            rr = float(np.vdot(r, r))
            p = r
            for step in range(1, self.cg_steps + 1):
                if not (rr > 0 and math.isfinite(rr)):
                    break
                pAp = float(np.vdot(p, adjoint(forward(p))))
                if not (pAp > 0 and math.isfinite(pAp)):
                    break
                bond = bond + (rr / pAp) * p
                bond = bond / np.linalg.norm(bond)
                if step == self.cg_steps:
                    break
                nr, _ = residual(bond)
                nn = float(np.vdot(nr, nr))
                if not (nn > 0 and math.isfinite(nn)):
                    break
                beta = nn / rr
                r = nr / math.sqrt(nn)
                rr = 1.0
                p = r + beta * p
                p = p / np.linalg.norm(p)
        else:
            p = r.copy()
            rr = float(np.vdot(r, r))
            floor = rr * FLOAT32_EPSILON
            for step in range(self.cg_steps):
                if not (rr > floor and math.isfinite(rr)):
                    break
                q = adjoint(forward(p))
                pq = float(np.vdot(p, q))
                if not (pq > 0 and math.isfinite(pq)):
                    break
                alpha = rr / pq
                bond = bond + alpha * p
                if step == self.cg_steps - 1:
                    break
                r = r - alpha * q
                rr_next = float(np.vdot(r, r))
                p = r + (rr_next / rr) * p
                rr = rr_next
        cost_after = 0.5 * float(np.sum((forward(bond) - self.Y) ** 2)) / self.N
        if not np.isfinite(bond).all():
            raise FloatingPointError(f"the bond tensor at sites {j}, {j + 1} became non-finite")
        truncation = self.split(bond, j, direction)
        return cost_before, cost_after, truncation

    def kept(self, s):
        total = float(np.sum(s * s))
        keep = len(s)
        if self.cutoff > 0:
            dropped = 0.0
            while keep > 1:
                nxt = float(s[keep - 1]) ** 2
                if dropped + nxt > self.cutoff * total:
                    break
                dropped += nxt
                keep -= 1
        return max(1, min(keep, self.m, len(s)))

    def split(self, bond, j, direction):
        dl, d, c, _, dr = bond.shape
        rows = dl * d if direction == "right" else dl * d * c
        u, s, vt = np.linalg.svd(bond.reshape(rows, -1), full_matrices=False)
        k = self.kept(s)
        total = float(np.sum(s * s))
        discarded = float(np.sum(s[k:] ** 2))
        if direction == "right":
            self.cores[j] = u[:, :k].reshape(dl, d, k)
            self.cores[j + 1] = (s[:k, None] * vt[:k]).reshape(k, c, d, dr).transpose(0, 2, 1, 3)
            self.label = j + 1
            self.extend_left(j)
            self.right[j + 1] = None
        else:
            self.cores[j] = (u[:, :k] * s[None, :k]).reshape(dl, d, c, k)
            self.cores[j + 1] = vt[:k].reshape(k, d, dr)
            self.label = j
            self.extend_right(j + 1)
            self.left[j + 1] = None
        return discarded / total if total > 0 else 0.0

    def sweep(self, stop, direction):
        """Moves the label to `stop`; returns the cost after the last bond and the largest truncation."""
        cost, worst = None, 0.0
        bonds = range(self.label, stop) if direction == "right" else range(self.label - 1, stop - 1, -1)
        for j in bonds:
            _, cost, truncation = self.update_bond(j, direction)
            worst = max(worst, truncation)
        return cost, worst

    # -- predictions ------------------------------------------------------------------------------

    def scores(self, features):
        """The outputs with every input's environments scaled to unit norm at every site."""
        n = features.shape[0]
        left = np.ones((n, 1))
        for j in range(self.label):
            core = self.cores[j]
            dl, d, dr = core.shape
            a = (left[:, :, None] * features[:, j, None, :]).reshape(n, dl * d)
            left = unit_rows(a @ core.reshape(dl * d, dr))
        right = np.ones((n, 1))
        for j in range(self.L - 1, self.label, -1):
            core = self.cores[j]
            dl, d, dr = core.shape
            t = (right @ core.reshape(dl * d, dr).T).reshape(n, dl, d)
            right = unit_rows(np.einsum("nas,ns->na", t, features[:, j, :]))
        return self.label_outputs(left, self.cores[self.label], right, self.label, features)


def phi(x):
    x = x.astype(np.float64)
    return np.stack([np.cos(np.pi * x / 2), np.sin(np.pi * x / 2)], axis=-1)


def main():
    P, data, out = problem["protocol"], problem["data"], problem["output_directory"]
    os.makedirs(out, exist_ok=True)
    emit(event="environment", libraries={"numpy": np.__version__}, device="cpu", threads=problem["threads"])
    if P.get("environment_normalization", "per-input") != "per-input":
        sys.exit(f"numpy: only per-input environment normalization is implemented, not {P['environment_normalization']}")
    inputs = {name: phi(np.load(arrays["inputs"])) for name, arrays in data.items() if "inputs" in arrays}
    labels = np.load(data["train"]["labels"])
    initial = data["initial_mps"]
    cores = [np.load(initial[name]) for name in sorted(initial)]
    sweeper = Sweeper(cores, inputs["train"], labels, m=int(P["m"]), cutoff=float(P["relative_cutoff"]),
                      cg_steps=int(P["cg_steps"]), solver=P.get("solver", "cg"))
    centre, sweeps = int(P["centre_site"]), int(P["sweeps"])
    epochs = 2 * sweeps

    def predict(checkpoint, prefix):
        files = {}
        for name in ("train", "test"):
            files[name] = f"{prefix}-{name}.npy"
            np.save(os.path.join(out, files[name]), sweeper.scores(inputs[name]))
        emit(event="predictions", checkpoint=checkpoint, sets=files)

    epoch, started, cost, worst, last_truncation = 0, time.perf_counter(), None, 0.0, 0.0
    quarters = [(centre, "right"), (sweeper.L - 1, "right"), (centre, "left"), (0, "left")]
    for s in range(sweeps):
        for q, (stop, direction) in enumerate(quarters):
            if s == sweeps - 1 and q == 3:
                break
            cost, truncation = sweeper.sweep(stop, direction)
            worst = max(worst, truncation)
            if q in (0, 2):  # the label is at the centre: an epoch ends
                epoch += 1
                seconds = time.perf_counter() - started
                emit(event="epoch", epoch=epoch, seconds=seconds, loss=cost)
                if not math.isfinite(cost):
                    break
                predict({"epoch": epoch}, f"epoch-{epoch}")
                emit(event="progress", fraction=epoch / epochs, detail=f"half-sweep {epoch}/{epochs}, truncation {worst:.3g}")
                last_truncation, worst = worst, 0.0
                started = time.perf_counter()
    # As native: the largest truncation of the last half-sweep, and the trained model's size.
    emit(event="record", scalars={"truncation_error": last_truncation,
                                  "param_count": int(sum(core.size for core in sweeper.cores))})
    predict("final", "final")


if __name__ == "__main__":
    main()
