"""Barratt, Dborin & Wright's MPS classifier and training protocol in TensorKrowch, shared by the
tensorkrowch implementations of CopyNodeInit and RankRegularization (as the Swift target
Suites/BarrattProtocol is shared by their native code). Importing it reads the job (problem.json,
the last argument), sets the thread count and imports the libraries, stdout kept for events.

The model. Native's MPS has 196 cores with the label leg on core 0 beside pixel 0's leg:
A0[1, 2, 10, D], Aj[D, 2, D], A195[D, 2, 1]. A TensorKrowch `MPSLayer` keeps its output node
apart from the input nodes, so it is built with 197 nodes, the output node first
(`out_position=0`): output [1, 10, 10], pixel 0 [10, 2, D], pixels 1…194 [D, 2, D], pixel 195
[D, 2, 1]. `boundary="pbc"` with a closing bond of dimension 1 is exactly an open chain; "obc"
would add trainable boundary vectors and pad the end nodes to [D, d, D] with trainable zeros, a
different parametrization. The output node holds the identity and is frozen (not given to
Adam), and pixel 0's node holds native's label core (its [l, s, r] = A0[0, s, l, r]), so the
model computes native's function with native's 388D² + 22D trainable parameters.

Protocol (as BarrattProtocol's AdamMPSTraining and copy-node initialization):
- copy_node: the output site plus `dense_nodes` − 1 sites drawn at random are dense,
  N(0, Var(A)) matched with V = n, E = n − 1, fan_in = 2^n, Glorot; the others are copy nodes
  A[l, s, r] = δ_lr·v_s (the last: δ_l0·v_s). With v = (1, 0.8) the label core is scaled so that
  the median over the first 1,000 training images of max_ℓ|f^ℓ| is σ_target = (2/(2^n + 10))^½
  (computed in float64 through the same `MPSLayer`). Cores are float32.
- Loss: mean softmax cross-entropy of the MPS outputs over a batch (plus the model's penalty, if
  any); batches of `batch_size` (the last one partial) from a fresh permutation every epoch. A
  batch whose loss or gradient is not finite is skipped (no Adam step). The epoch's reported loss
  is the mean cross-entropy over its finite batches.
- Adam in Keras form (β = 0.9/0.999): θ ← θ − lr·√(1−β₂ᵗ)/(1−β₁ᵗ)·m/(√v + ε). torch puts ε
  on the bias-corrected √v̂, i.e. its step is the Keras step with ε·√(1−β₂ᵗ) in place of ε; so
  torch's ε is set to ε/√(1−β₂ᵗ) in the optimizer's param group before every step (t counting
  Adam's steps), which gives the Keras step exactly (up to rounding).
- Scores: the float32 outputs f^ℓ, evaluated in chunks of 500 without gradients.
- Records (one `record` event before the final predictions), as native's AdamMPSTraining:
  init_log10_output (log₁₀ of the median over the first 256 validation images of max_ℓ|f^ℓ| of
  the initial evaluation model, exact: a log-scaled float64 contraction of its cores, −400 for a
  zero median), init_scale_factor (log₁₀ of the calibration factor; 0 when no probe output is
  finite and nonzero, as native), param_count (the evaluation model's core entries: 388D² + 22D
  for the plain MPS), nonfinite_batches (skipped batches, counted up to the first epoch whose
  every batch was skipped, where native stops training) and what the suite adds (penalty_weight).

Differences from native common to both suites:
- Random numbers: NumPy's PCG64 seeded from problem["seed"] (one stream for the initialization
  and dense sites, one for the batch order), not TNBench's Philox streams: same distributions,
  other draws.
- Contraction: TensorKrowch's default path (inputs contracted in one stacked operation, the
  matrices multiplied pairwise in a tree) in float32 autograd; native contracts the chain
  sequentially with its own backward. Same function, other rounding and other under/overflow
  points (`numerics = plain` only; `logscaled` has no TensorKrowch counterpart, since its
  `renormalize` option changes the function).
- Work: after `trace`, TensorKrowch stacks the 196 input nodes into one parameter padded to the
  largest node ([max(10, D), 2, D]); the padding never gets a gradient (Adam leaves it 0), but it
  costs memory and input-contraction flops for D < 10, as does the frozen identity node.
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


def log(message):
    print(f"tensorkrowch: {message}", file=sys.stderr, flush=True)


def start(numerics):
    """Checks the numerics, sets the threads, emits `environment`; returns the features by set,
    the training labels and the initialization and batch-order generators."""
    if numerics != "plain":
        sys.exit(f"tensorkrowch: only numerics=plain is implemented, not {numerics}")
    torch.set_num_threads(problem["threads"])
    os.makedirs(problem["output_directory"], exist_ok=True)
    emit(event="environment", device="cpu", threads=problem["threads"],
         libraries={"tensorkrowch": tk.__version__, "torch": torch.__version__, "numpy": np.__version__})
    features = {name: torch.from_numpy(np.load(arrays["features"])) for name, arrays in problem["data"].items()}
    labels = torch.from_numpy(np.load(problem["data"]["train"]["labels"]))
    init_rng, shuffle_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(problem["seed"]).spawn(2))
    return features, labels, init_rng, shuffle_rng


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


def native_shapes(bond):
    """Native's core shapes without the dimension-1 ends: [2, 10, D], [D, 2, D]…, [D, 2, 1]."""
    return [(PHYSICAL, LABELS, bond)] + [(bond, PHYSICAL, bond)] * (SITES - 2) + [(bond, PHYSICAL, 1)]


def layer_cores(cores):
    """Native-layout float32 arrays → TensorKrowch-layout tensors [l, s, r] (label core [10, 2, D])."""
    cores = [torch.from_numpy(core) for core in cores]
    cores[0] = cores[0].permute(1, 0, 2).contiguous()  # native [s, label, r] → [label, s, r]
    return cores


def copy_node_cores(dense_nodes, bond, vector, rng):
    """TensorKrowch-layout cores: the output site plus dense_nodes − 1 random sites N(0, Var(A))
    (V = n), copy nodes δ_lr·v_s elsewhere; and the sorted dense sites."""
    dense = {0} | {int(j) + 1 for j in rng.permutation(SITES - 1)[:dense_nodes - 1]}
    std = core_std("glorot", bond, len(dense))
    cores = []
    for j, shape in enumerate(native_shapes(bond)):
        if j in dense:
            cores.append((std * rng.standard_normal(shape)).astype(np.float32))
        else:
            core = np.zeros(shape, np.float32)
            for l in range(min(shape[0], shape[2])):  # δ_lr; the last core's one column pins l = 0
                core[l, :, l] = vector
            cores.append(core)
    log(f"dense sites {sorted(dense)}")
    return layer_cores(cores), sorted(dense)


def mps_layer(cores, dtype):
    """An MPSLayer holding `cores` (TensorKrowch layout, any bond dimensions) behind the frozen identity output node."""
    layer = tk.models.MPSLayer(n_features=SITES + 1, in_dim=PHYSICAL, out_dim=LABELS,
                               bond_dim=[LABELS] + [core.shape[-1] for core in cores], out_position=0,
                               boundary="pbc", init_method="zeros", dtype=dtype)
    layer.out_node.tensor = torch.eye(LABELS, dtype=dtype).reshape(1, LABELS, LABELS)
    for j, core in enumerate(cores):
        layer.mats_env[j + 1].tensor = core.detach().to(dtype)
    layer.out_node.tensor.requires_grad_(False)
    return layer


def outputs(forward, features, chunk=500):
    with torch.no_grad():
        return torch.cat([forward(features[i:i + chunk]) for i in range(0, len(features), chunk)])


def calibrate(cores, dense, train_features):
    """Scales the label core so that the median of max_ℓ|f^ℓ| over the first 1,000 training images
    is (2/(2^n + 10))^½ (the raw model in float64); returns the cores and log₁₀ of the factor
    (0 when no output is finite and nonzero: the model is left as drawn, as native)."""
    probe = outputs(mps_layer(cores, torch.float64), train_features[:1000].double())
    magnitudes = np.sort([m for m in probe.abs().amax(1).numpy() if m > 0 and np.isfinite(m)])
    factor = 1.0
    if len(magnitudes):
        factor = math.sqrt(2 / (2 ** len(dense) + LABELS)) / magnitudes[len(magnitudes) // 2]
        cores[0] = cores[0] * float(np.float32(factor))
    log(f"init_scale_factor log10 {math.log10(factor):.3f}")
    return cores, math.log10(factor)


def log10_output(cores, features, probe=256):
    """init_log10_output of the model with `cores` (TensorKrowch layout): log₁₀ of the median over
    the first `probe` images of max_ℓ|f^ℓ|, contracted left to right in float64 with every
    sample's state rescaled to max 1 at each site (so nothing under- or overflows); −400 when
    that median is 0."""
    x = features[:probe].double()
    state = torch.einsum("ns,lsr->nlr", x[:, 0], cores[0].double())  # [N, 10, D]
    log_scale = torch.zeros(len(x), dtype=torch.float64)
    for j in range(1, len(cores)):
        state = torch.bmm(state, torch.einsum("ns,lsr->nlr", x[:, j], cores[j].double()))
        scale = state.abs().amax((1, 2))
        scale = torch.where(scale > 0, scale, torch.ones_like(scale))
        state, log_scale = state / scale[:, None, None], log_scale + torch.log10(scale)
    magnitudes = torch.log10(state.abs().amax((1, 2))) + log_scale  # −inf for a zero output
    median = float(torch.sort(magnitudes).values[len(magnitudes) // 2])
    return median if math.isfinite(median) else -400.0


class MPS:
    """The MPSLayer's own parameters, trained as is."""

    def __init__(self, cores):
        self.shapes = [core.shape for core in cores]
        self.layer = mps_layer(cores, torch.float32)
        self.layer.trace(torch.zeros(1, SITES, PHYSICAL))  # TensorKrowch's recommended speed-up
        self.parameters = [p for p in self.layer.parameters() if p.requires_grad]

    def loss(self, x, y):
        """(the loss to minimize, the cross-entropy to report)."""
        ce = torch.nn.functional.cross_entropy(self.layer(x), y)
        return ce, ce

    def project(self):
        """Called after every Adam step."""

    def scores(self, features):
        return outputs(self.layer, features)

    def parameter_count(self):
        """The trainable core entries (388D² + 22D; the frozen identity output node excluded)."""
        return sum(math.prod(shape) for shape in self.shapes)


def train(model, features, labels, shuffle_rng, scalars=None, before_final=lambda: None):
    """Keras-form Adam on model.parameters for the protocol's epochs, with the contract's epoch,
    progress and predictions events; `before_final` runs before the final predictions, preceded
    by the `record` event: `scalars` (what the caller measured before training:
    init_log10_output, init_scale_factor…), model.parameter_count() and nonfinite_batches."""
    protocol, predict, out = problem["protocol"], problem["predict"], problem["output_directory"]
    epochs, batch, lr, eps = protocol["epochs"], protocol["batch_size"], protocol["learning_rate"], protocol["adam_epsilon"]
    optimizer = torch.optim.Adam(model.parameters, lr=lr, betas=(BETA1, BETA2), eps=eps)

    def hand_over(checkpoint, sets, tag):
        if sets:
            files = {name: f"{tag}-{name}.npy" for name in sets}
            for name in sets:
                np.save(os.path.join(out, files[name]), model.scores(features[name]).numpy())
            emit(event="predictions", checkpoint=checkpoint, sets=files)

    interval = (predict.get("step") or {}).get("interval", 0)
    count, steps, batches_done = len(labels), 0, 0
    nonfinite, frozen = 0, False  # skipped batches up to the first all-skipped epoch (native stops there)
    total_batches = epochs * math.ceil(count / batch)
    for epoch in range(1, epochs + 1):
        order = torch.from_numpy(shuffle_rng.permutation(count))
        seconds, losses, skipped = 0.0, [], 0
        for first in range(0, count, batch):
            began = time.perf_counter()
            rows = order[first:first + batch]
            optimizer.zero_grad(set_to_none=True)
            loss, ce = model.loss(features["train"][rows], labels[rows])
            loss.backward()
            finite = torch.stack([torch.isfinite(loss)] + [torch.isfinite(p.grad).all() for p in model.parameters]).all()
            if finite:
                steps += 1
                optimizer.param_groups[0]["eps"] = eps / math.sqrt(1 - BETA2 ** steps)  # Keras-form ε
                optimizer.step()
                model.project()
                losses.append(ce.item())
            else:
                skipped += 1
            seconds += time.perf_counter() - began
            batches_done += 1
            if interval and batches_done % interval == 0:
                hand_over({"step": batches_done}, predict["step"].get("sets", []), f"step-{batches_done}")
        if not frozen:
            nonfinite += skipped
            frozen = skipped == math.ceil(count / batch)
        event = {"event": "epoch", "epoch": epoch, "seconds": seconds}
        if losses:
            event["loss"] = float(np.mean(losses))
        emit(**event)
        hand_over({"epoch": epoch}, predict.get("epoch", []), f"epoch-{epoch}")
        emit(event="progress", fraction=batches_done / total_batches, detail=f"epoch {epoch}/{epochs}")
    emit(event="record", scalars={**(scalars or {}), "param_count": model.parameter_count(), "nonfinite_batches": nonfinite})
    before_final()
    hand_over("final", predict.get("final", []), "final")


def run(main):
    """Runs main with library chatter sent to stderr (events go to EVENTS, the real stdout)."""
    with contextlib.redirect_stdout(sys.stderr):
        main()
