"""Barratt, Dborin & Wright's MPS classifier (CopyNodeInit) as a TensorKrowch `MPSLayer` trained by
torch's Adam: the contract of docs/IMPLEMENTATIONS.md (problem.json is the last argument).

The model. Native's MPS has 196 cores with the label leg on core 0 beside pixel 0's leg:
A0[1, 2, 10, D], Aj[D, 2, D], A195[D, 2, 1]. A TensorKrowch `MPSLayer` keeps its output node
apart from the input nodes, so it is built with 197 nodes, the output node first
(`out_position=0`): output [1, 10, 10], pixel 0 [10, 2, D], pixels 1…194 [D, 2, D], pixel 195
[D, 2, 1]. `boundary="pbc"` with a closing bond of dimension 1 is exactly an open chain; "obc"
would add trainable boundary vectors and pad the end nodes to [D, d, D] with trainable zeros, a
different parametrization. The output node holds the identity and is frozen (not given to
Adam), and pixel 0's node holds native's label core (its [l, s, r] = A0[0, s, l, r]), so the
model computes native's function with native's 388D² + 22D trainable parameters.

Protocol (as NativeCopyNodeInit / AdamMPSTraining):
- init: glorot / he / lecun draw every core N(0, Var(A)) with Var(A) = (σ²_target/D^E)^(1/V),
  V = 196, E = 195, fan_in = 2^196, fan_out = 10 (in log space). copy_node: the output site plus
  `dense_nodes` − 1 sites drawn at random are dense, N(0, Var(A)) matched with V = n, E = n − 1,
  fan_in = 2^n, Glorot; the others are copy nodes A[l, s, r] = δ_lr·v_s (the last: δ_l0·v_s) with
  v = (1, 0.8), and the label core is scaled so that the median over the first 1,000 training
  images of max_ℓ|f^ℓ| is σ_target = (2/(2^n + 10))^½ (computed in float64 through the same
  `MPSLayer`). copy_node_v10: v = (1, 0), uncalibrated. Cores are float32.
- Loss: mean softmax cross-entropy of the MPS outputs over a batch; batches of `batch_size`
  (the last one partial) from a fresh permutation every epoch. A batch whose loss or gradient is
  not finite is skipped (no Adam step). The epoch's loss is the mean over its finite batches.
- Adam in Keras form (β = 0.9/0.999): θ ← θ − lr·√(1−β₂ᵗ)/(1−β₁ᵗ)·m/(√v + ε). torch puts ε
  on the bias-corrected √v̂, i.e. its step is the Keras step with ε·√(1−β₂ᵗ) in place of ε; so
  torch's ε is set to ε/√(1−β₂ᵗ) in the optimizer's param group before every step (t counting
  Adam's steps), which gives the Keras step exactly (up to rounding).
- Scores: the float32 outputs f^ℓ, evaluated in chunks of 500 without gradients.

Differences from native:
- Random numbers: NumPy's PCG64 seeded from problem["seed"] (one stream for the initialization
  and dense sites, one for the batch order), not TNBench's Philox streams: same distributions,
  other draws.
- Contraction: TensorKrowch's default path (inputs contracted in one stacked operation, the
  matrices multiplied pairwise in a tree) in float32 autograd; native contracts the chain
  sequentially with its own backward. Same function, other rounding and other under/overflow
  points (the `plain` numerics only; `logscaled` has no TensorKrowch counterpart, since its
  `renormalize` option changes the function).
- Work: after `trace`, TensorKrowch stacks the 196 input nodes into one parameter padded to the
  largest node ([max(10, D), 2, D]); the padding never gets a gradient (Adam leaves it 0, checked),
  but it costs memory and input-contraction flops for D < 10, as does the frozen identity node.
- Adam's moments are float32 (native keeps them in float64; a squared gradient below ~1e-38
  flushes to 0 here, which changes the step only where √v ≪ ε anyway).
- The calibration's logits are plain float64, not log-scaled (exact for v = (1, 0.8), whose
  outputs stay within float64's range).
- An epoch in which every batch is non-finite does not stop training: the later epochs run
  (unchanged model, same predictions); native stops and repeats the last validation scores.
"""
import contextlib
import json
import math
import os
import sys
import time
import warnings

# TensorKrowch 1.1.6 indexes with lists, which torch 2.13 warns about on every traced call.
warnings.filterwarnings("ignore", message="Using a non-tuple sequence for multidimensional indexing")
problem = json.load(open(sys.argv[-1]))
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = str(problem["threads"])
with contextlib.redirect_stdout(sys.stderr):
    import numpy as np
    import torch
    import tensorkrowch as tk

LABELS, SITES, PHYSICAL = 10, 196, 2
BETA1, BETA2 = 0.9, 0.999
EVENTS = sys.stdout  # contract events only


def emit(**event):
    print(json.dumps(event), file=EVENTS, flush=True)


def log_target_variance(target, log_fan_in, fan_out=LABELS):
    """log σ²_target of Glorot / He / LeCun for fan_in = e^log_fan_in (VarianceTarget.logVariance)."""
    if target == "glorot":
        a, b = log_fan_in, math.log(fan_out)
        return math.log(2.0) - (max(a, b) + math.log1p(math.exp(-abs(a - b))))
    return {"he": math.log(2.0) - log_fan_in, "lecun": -log_fan_in}[target]


def core_std(target, bond, nodes):
    """Std of the cores matched on W: log Var(A) = (log σ²_target − E·log D)/V with E = V − 1, fan_in = 2^V."""
    log_var = (log_target_variance(target, nodes * math.log(PHYSICAL)) - (nodes - 1) * math.log(bond)) / nodes
    return math.exp(log_var / 2)


def shapes(bond):
    """Native's core shapes without the dimension-1 ends: [2, 10, D], [D, 2, D]…, [D, 2, 1]."""
    return [(PHYSICAL, LABELS, bond)] + [(bond, PHYSICAL, bond)] * (SITES - 2) + [(bond, PHYSICAL, 1)]


def matched_cores(target, bond, rng):
    std = core_std(target, bond, SITES)
    return [(std * rng.standard_normal(shape)).astype(np.float32) for shape in shapes(bond)]


def copy_node_cores(dense_nodes, bond, vector, rng):
    """The output site plus dense_nodes − 1 random sites drawn N(0, Var(A)) (V = n), copy nodes elsewhere."""
    dense = {0} | {int(j) + 1 for j in rng.permutation(SITES - 1)[:dense_nodes - 1]}
    std = core_std("glorot", bond, len(dense))
    cores = []
    for j, shape in enumerate(shapes(bond)):
        if j in dense:
            cores.append((std * rng.standard_normal(shape)).astype(np.float32))
        else:
            core = np.zeros(shape, np.float32)
            for l in range(min(shape[0], shape[2])):  # δ_lr; the last core's one column pins l = 0
                core[l, :, l] = vector
            cores.append(core)
    return cores, sorted(dense)


def mps_layer(cores, dtype):
    """An MPSLayer holding `cores` (native layout) with the frozen identity output node in front."""
    bond = cores[1].shape[0]
    layer = tk.models.MPSLayer(n_features=SITES + 1, in_dim=PHYSICAL, out_dim=LABELS,
                               bond_dim=[LABELS] + [bond] * (SITES - 1) + [1], out_position=0,
                               boundary="pbc", init_method="zeros", dtype=dtype)
    layer.out_node.tensor = torch.eye(LABELS, dtype=dtype).reshape(1, LABELS, LABELS)
    layer.mats_env[1].tensor = torch.from_numpy(cores[0]).permute(1, 0, 2).to(dtype)  # [l, s, r]
    for j in range(1, SITES):
        layer.mats_env[j + 1].tensor = torch.from_numpy(cores[j]).to(dtype)
    layer.out_node.tensor.requires_grad_(False)
    return layer


def outputs(layer, features, chunk=500):
    with torch.no_grad():
        return torch.cat([layer(features[i:i + chunk]) for i in range(0, len(features), chunk)])


def main():
    protocol, configuration, predict = problem["protocol"], problem.get("configuration", {}), problem["predict"]
    setting = lambda key, default=None: protocol.get(key, configuration.get(key, default))  # noqa: E731
    numerics = setting("numerics", "plain")
    if numerics != "plain":
        sys.exit(f"tensorkrowch: only numerics=plain is implemented, not {numerics}")
    init, bond = setting("init"), int(setting("bond_dimension", configuration.get("D")))
    epochs, batch, lr, eps = protocol["epochs"], protocol["batch_size"], protocol["learning_rate"], protocol["adam_epsilon"]
    torch.set_num_threads(problem["threads"])
    out = problem["output_directory"]
    os.makedirs(out, exist_ok=True)
    emit(event="environment", device="cpu", threads=problem["threads"],
         libraries={"tensorkrowch": tk.__version__, "torch": torch.__version__, "numpy": np.__version__})

    features = {name: torch.from_numpy(np.load(arrays["features"])) for name, arrays in problem["data"].items()}
    labels = torch.from_numpy(np.load(problem["data"]["train"]["labels"]))
    init_rng, shuffle_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(problem["seed"]).spawn(2))

    if init in ("glorot", "he", "lecun"):
        cores = matched_cores(init, bond, init_rng)
    elif init in ("copy_node", "copy_node_v10"):
        vector = np.array([1.0, 0.0] if init == "copy_node_v10" else [1.0, 0.8], np.float32)
        cores, dense = copy_node_cores(int(setting("dense_nodes")), bond, vector, init_rng)
        print(f"tensorkrowch: dense sites {dense}", file=sys.stderr)
        if init == "copy_node":  # calibrate the output scale on the first 1,000 training images
            probe = outputs(mps_layer(cores, torch.float64), features["train"][:1000].double())
            magnitudes = np.sort([m for m in probe.abs().amax(1).numpy() if m > 0 and np.isfinite(m)])
            if len(magnitudes):
                factor = math.sqrt(2 / (2 ** len(dense) + LABELS)) / magnitudes[len(magnitudes) // 2]
                cores[0] = cores[0] * np.float32(factor)
                print(f"tensorkrowch: init_scale_factor log10 {math.log10(factor):.3f}", file=sys.stderr)
    else:
        sys.exit(f"tensorkrowch: unknown init {init}")

    layer = mps_layer(cores, torch.float32)
    layer.trace(torch.zeros(1, SITES, PHYSICAL))  # TensorKrowch's recommended speed-up before training
    parameters = [p for p in layer.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(parameters, lr=lr, betas=(BETA1, BETA2), eps=eps)

    def hand_over(checkpoint, sets, tag):
        if sets:
            files = {name: f"{tag}-{name}.npy" for name in sets}
            for name in sets:
                np.save(os.path.join(out, files[name]), outputs(layer, features[name]).numpy())
            emit(event="predictions", checkpoint=checkpoint, sets=files)

    interval = (predict.get("step") or {}).get("interval", 0)
    count, steps, batches_done = len(labels), 0, 0
    total_batches = epochs * math.ceil(count / batch)
    for epoch in range(1, epochs + 1):
        order = torch.from_numpy(shuffle_rng.permutation(count))
        seconds, losses = 0.0, []
        for start in range(0, count, batch):
            began = time.perf_counter()
            rows = order[start:start + batch]
            optimizer.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(layer(features["train"][rows]), labels[rows])
            loss.backward()
            finite = torch.stack([torch.isfinite(loss)] + [torch.isfinite(p.grad).all() for p in parameters]).all()
            if finite:
                steps += 1
                optimizer.param_groups[0]["eps"] = eps / math.sqrt(1 - BETA2 ** steps)  # Keras-form ε
                optimizer.step()
                losses.append(loss.item())
            seconds += time.perf_counter() - began
            batches_done += 1
            if interval and batches_done % interval == 0:
                hand_over({"step": batches_done}, predict["step"].get("sets", []), f"step-{batches_done}")
        event = {"event": "epoch", "epoch": epoch, "seconds": seconds}
        if losses:
            event["loss"] = float(np.mean(losses))
        emit(**event)
        hand_over({"epoch": epoch}, predict.get("epoch", []), f"epoch-{epoch}")
        emit(event="progress", fraction=batches_done / total_batches, detail=f"epoch {epoch}/{epochs}")
    hand_over("final", predict.get("final", []), "final")


if __name__ == "__main__":
    with contextlib.redirect_stdout(sys.stderr):  # library chatter to stderr; events go to EVENTS
        main()
