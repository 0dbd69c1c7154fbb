"""Piché's MPS students written again in PyTorch with TorchMPS's parametrization, under TNBench's
implementation contract (docs/IMPLEMENTATIONS.md): a second witness of native's students. The
report trained its students with a fork of TorchMPS (jemisjoky/TorchMPS), which is not on PyPI;
this program follows TorchMPS's model as its public code defines it, written against PyTorch's API.

The model, as TorchMPS's `MPS(input_dim=784, output_dim=10, bond_dim=D)` builds it by default:
  sites     784 input sites in the order given (row-major pixels) and a label core of its own,
            [10, D, D], between sites label_site - 1 and label_site (TorchMPS's default
            label_site = 784 // 2 = 392); every bond of dimension D, the chain closed by the fixed
            boundary vectors e0 = (1, 0, ..., 0) at both ends (open boundary conditions).
  features  phi(x) = [x, 1 - x] per pixel (TorchMPS's default embedding).
  cores     each input site's matrix is A_s(x) = sum_i T_s[:, :, i] phi_i(x) + B_half, with T_s
            drawn from N(0, init_std^2) and one trainable bias matrix B per half of the chain
            (sites before the label core, sites after it), starting at the identity: TorchMPS's
            InputRegion with use_bias=True, fixed_bias=False and init "random_zero". The label core
            starts at the identity for every class plus N(0, init_std^2) noise ("random_eye").
  output    f_l(x) = e0^T A_0(x) ... A_391(x) L_l A_392(x) ... A_783(x) e0, plain float32.
  training  torch.optim.Adam(lr, eps=adam_epsilon) on every parameter (T, both B, L); batches of
            batch_size from a fresh permutation each epoch (torch's generator seeded by the job's
            seed); direct: cross-entropy on the labels; distilled: the batch mean of
            KL(q || softmax(f / T)) with the teacher's q from the exchange. The normal epochs run
            over the training images, then the Gaussian epochs over the exchange's gaussian_k sets
            (batch min(batch_size, samples)). A batch whose loss or gradient is not finite takes no
            step (native skips it too), and is counted (nonfinite_batches); an epoch with no finite
            batch stops the run as diverged.

The contraction: the boundary vector is carried through each half site by site (a [batch, D]
times [D, 3D] product per site with T_s[:, :, 0], T_s[:, :, 1] and B side by side), which computes
the same function as TorchMPS's matrix products in fewer operations; the two halves meet at the
label core.

Differences from native (NativeKnowledgeDistillation): native puts the label leg on the core of site
392 (no separate core), with phi(x) = [1, x] and near-identity cores whose noise is only in
the non-identity directions and no shared bias; native contracts in log-scaled float32, this
program plainly; native's Adam adds epsilon to the uncorrected sqrt(v) (Keras), torch's to the
corrected one; the initial weights and batch order come from torch's generators, not Philox.
"""
import contextlib
import json
import math
import os
import sys
import time

import numpy as np

with contextlib.redirect_stdout(sys.stderr):
    import torch
    import torch.nn.functional as F

EVENTS = sys.stdout   # contract events only; everything else goes to stderr (see __main__)


def emit(event, **fields):
    print(json.dumps({"event": event, **fields}), file=EVENTS, flush=True)


class TorchMPSStyle(torch.nn.Module):
    """TorchMPS's MPS classifier with default settings: two input regions with shared trainable
    identity biases and a separate label core between them (see the module's doc)."""

    def __init__(self, sites, bond, classes, label_site, init_std, generator):
        super().__init__()
        if not 0 <= label_site <= sites:
            raise ValueError(f"label_site {label_site} outside 0...{sites}")
        self.label_site, self.bond = label_site, bond

        def noise(*shape):
            return init_std * torch.randn(*shape, generator=generator)

        self.left = torch.nn.Parameter(noise(label_site, bond, bond, 2))
        self.left_bias = torch.nn.Parameter(torch.eye(bond))
        self.label = torch.nn.Parameter(torch.eye(bond).expand(classes, bond, bond) + noise(classes, bond, bond))
        self.right = torch.nn.Parameter(noise(sites - label_site, bond, bond, 2))
        self.right_bias = torch.nn.Parameter(torch.eye(bond))

    @staticmethod
    def carry(vector, tensor, bias, phi):
        """e0 (batch rows) carried through the sites of `tensor` [n, D, D, 2] in order:
        v <- v A_s(x) with A_s(x) = T_s[:, :, 0] phi_0 + T_s[:, :, 1] phi_1 + B, as
        u = v [T_s[:, :, 0] | T_s[:, :, 1] | B] (one [batch, D] x [D, 3D] product), then
        v = phi_0 u_0 + phi_1 u_1 + u_2 (one batched [1, 3] x [3, D] product): two products a site,
        since at these sizes the per-operation cost of autograd, not arithmetic, sets the time."""
        batch, bond = vector.shape[0], bias.shape[0]
        # [n, D, 3D]: T_s[:, :, 0] | T_s[:, :, 1] | B for every site, built once per forward.
        stacked = torch.cat([tensor[..., 0], tensor[..., 1], bias.expand(tensor.shape[0], bond, bond)], dim=2)
        weights = torch.cat([phi, torch.ones_like(phi[..., :1])], dim=2).unsqueeze(2)   # [batch, n, 1, 3]
        vector = vector.unsqueeze(1)                                                     # [batch, 1, D]
        for matrix, weight in zip(stacked.unbind(0), weights.unbind(1)):
            vector = torch.bmm(weight, (vector @ matrix).view(batch, 3, bond))
        return vector.squeeze(1)

    def forward(self, x):
        phi = torch.stack([x, 1 - x], dim=2)                                # [batch, sites, 2]
        e0 = torch.zeros(x.shape[0], self.bond, dtype=x.dtype)
        e0[:, 0] = 1
        left = self.carry(e0, self.left, self.left_bias, phi[:, :self.label_site])
        # The right half from its far end: v <- A_s(x) v, i.e. v^T <- v^T A_s(x)^T.
        right = self.carry(e0, self.right.flip(0).transpose(1, 2), self.right_bias.t(),
                           phi[:, self.label_site:].flip(1))
        return torch.einsum("bl,clr,br->bc", left, self.label, right)


def main(path):
    with open(path) as f:
        problem = json.load(f)
    protocol, predict, data = problem["protocol"], problem["predict"], problem["data"]
    threads = int(problem["threads"])
    torch.set_num_threads(threads)
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(threads)
    emit("environment", libraries={"torch": torch.__version__, "numpy": np.__version__}, device="cpu",
         threads=torch.get_num_threads())

    def load(set_name, array):
        return torch.from_numpy(np.load(data[set_name][array]))

    train_x, train_y = load("train", "inputs"), load("train", "labels").long()
    inputs = {"train": train_x, "test": load("test", "inputs")}
    distilled = protocol["student"] != "direct"
    temperature = float(protocol["temperature"])
    # The epochs in order: (inputs, targets) of each, the normal ones on the training images.
    normal_targets = load("train", "teacher_probabilities").float() if distilled else train_y
    epochs = [(train_x, normal_targets)] * int(protocol["normal_epochs"])
    for k in range(1, int(protocol["gaussian_epochs"]) + 1):
        epochs.append((load(f"gaussian_{k}", "inputs"), load(f"gaussian_{k}", "teacher_probabilities").float()))
    assert len(epochs) == int(protocol["epochs"]), "the exchange's epochs and sets disagree"

    generator = torch.Generator().manual_seed(int(problem["seed"]))
    model = TorchMPSStyle(sites=train_x.shape[1], bond=int(protocol["D"]), classes=int(protocol["classes"]),
                          label_site=int(protocol["label_site"]), init_std=float(protocol["init_std"]),
                          generator=generator)
    optimizer = torch.optim.Adam(model.parameters(), lr=float(protocol["learning_rate"]),
                                 eps=float(protocol["adam_epsilon"]))

    def loss_of(scores, targets):
        if distilled:   # KL(q || softmax(f / T)), summed over classes, averaged over the batch
            return F.kl_div(F.log_softmax(scores / temperature, dim=1), targets, reduction="batchmean")
        return F.cross_entropy(scores, targets)

    out_dir = problem["output_directory"]
    os.makedirs(out_dir, exist_ok=True)

    def predictions(checkpoint, sets, tag):
        """Writes the scores of `sets` (logits, float32, in chunks of 500) and announces them."""
        files = {}
        with torch.no_grad():
            for name in sets:
                scores = torch.cat([model(chunk) for chunk in inputs[name].split(500)])
                files[name] = f"{tag}-{name}.npy"
                np.save(os.path.join(out_dir, files[name]), scores.numpy().astype(np.float32))
        emit("predictions", checkpoint=checkpoint, sets=files)

    nonfinite = 0
    batch = int(protocol["batch_size"])
    for epoch, (x, targets) in enumerate(epochs, start=1):
        size = min(batch, x.shape[0])
        order = torch.randperm(x.shape[0], generator=generator)
        seconds, loss_sum, finite = 0.0, 0.0, 0
        for b in range(x.shape[0] // size):
            start = time.perf_counter()
            idx = order[b * size:(b + 1) * size]
            loss = loss_of(model(x[idx]), targets[idx])
            optimizer.zero_grad(set_to_none=True)
            value = loss.item()
            if math.isfinite(value):
                loss.backward()
                if all(torch.isfinite(p.grad).all() for p in model.parameters()):
                    optimizer.step()
                    finite += 1
                    loss_sum += value
                else:
                    nonfinite += 1
            else:
                nonfinite += 1
            seconds += time.perf_counter() - start
        if finite == 0:
            emit("epoch", epoch=epoch, seconds=seconds, loss=float("nan"))
            print(f"epoch {epoch}: no batch had a finite loss and gradient: stopping", file=sys.stderr)
            return
        emit("epoch", epoch=epoch, seconds=seconds, loss=loss_sum / finite)
        predictions({"epoch": epoch}, predict.get("epoch", []), f"epoch-{epoch}")
        emit("progress", fraction=epoch / len(epochs), detail=f"epoch {epoch}/{len(epochs)}, loss {loss_sum / finite:.4g}")
    emit("record", scalars={"param_count": sum(p.numel() for p in model.parameters()),
                            "nonfinite_batches": nonfinite})
    predictions("final", predict.get("final", []), "final")


if __name__ == "__main__":
    with contextlib.redirect_stdout(sys.stderr):
        main(sys.argv[-1] if len(sys.argv) > 1 else os.environ["TNBENCH_PROBLEM"])
