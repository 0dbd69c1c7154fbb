"""Barratt, Dborin & Wright's rank regularization (RankRegularization suite) with TensorKrowch's
`MPSLayer` and torch's Adam: the contract of docs/IMPLEMENTATIONS.md (problem.json is the last
argument).

The model (native's MPS in an `MPSLayer`, label node first), the calibrated copy-node start, the
Keras-form Adam loop and the events are Barratt's protocol in CopyNodeInit's
barratt_tensorkrowch.py, shared with that suite's tensorkrowch implementation; its docstring gives
them and the differences from native they bring. This file adds the rank regularization.

Protocol (as NativeRankRegularization / MPSGradientTrainer / RankRegularizer):
- Start: the copy-node MPS at D = D_max (`bond_dimension`), v = (1, 0.8), calibrated without
  regularizers.
- model = mps: that MPS trained as is (CopyNodeInit's copy_node): the `MPSLayer`'s own parameters.
- model = rank_regularized: bond i = 1…195 (between cores i − 1 and i) carries the diagonal
  m_{i,k} = σ((s_i − k + 1/2)/τ), k = 1…D_max, τ = `sharpness`, of a learnable soft dimension
  s_i (float64, starting at D_max). The raw cores are torch parameters; before every forward the
  masked cores A_{i−1}·diag(m_i) (mask on the right leg, in float32) are set as the tensors of the
  layer's non-parametric nodes, so autograd gives ∂/∂A and ∂/∂s through TensorKrowch's contraction.
  The loss adds the soft parameter count P(s) = Σ_j s_j·d·s_{j+1} (×10 on the label core,
  s_0 = s_196 = 1) as λ·P(s)/P(D_max) with λ = P(D_max)/N_train (AIC: P(s)/N_train); the reported
  loss excludes it (native's `train_loss`). After every step, s is clamped to [1, D_max]. Every
  evaluation uses the truncated model: bond i cut to D_i = clamp(round(s_i), 1, D_max) (half away
  from zero), the kept mask entries multiplied into the left core, in a fresh `MPSLayer` of those
  bond dimensions.
- Adam on cores and soft dimensions alike (native: two Adams with the same hyperparameters and
  step count, i.e. the same per-element updates as one torch Adam).

Differences from native: those listed in barratt_tensorkrowch.py (random numbers, contraction,
padding work, float32 Adam moments of the cores, float64 calibration logits, epochs after a
non-finite one), and:
- ∂L/∂s: autograd sums ∂L/∂Ã·A over a mask's entries in float32 before the sigmoid's float64
  chain rule; native accumulates that sum in float64.
- Work: rank_regularized sets and stacks 196 masked cores (auto_stack off, since the nodes'
  tensors change every step) each forward, and its truncated evaluation model pads the stacked
  nodes to the largest kept bond. Costs only; the functions are native's.
- Records (the `record` event, as native): init_log10_output (of the initial evaluation model:
  for rank_regularized the truncated, absorbed model at s = D_max), init_scale_factor,
  param_count (of the final evaluation model: the truncated one for rank_regularized),
  nonfinite_batches and, for rank_regularized, penalty_weight. Native's arrays (bond_dimensions,
  soft_bond_dimensions, dense_sites) have no contract event: they go to standard error.
"""
import math
import os
import sys

# The shared protocol lives beside CopyNodeInit's train.py (one module for both suites, as their
# native code shares Suites/BarrattProtocol); the harness runs this file from its own folder.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "CopyNodeInit", "implementations", "tensorkrowch"))
import barratt_tensorkrowch as barratt  # noqa: E402  (reads the job and sets the threads before importing the libraries)
from barratt_tensorkrowch import LABELS, PHYSICAL, SITES, log, mps_layer, np, outputs, problem, torch  # noqa: E402


class RankRegularizedMPS:
    """model = rank_regularized: raw cores and soft dimensions as torch parameters, masked cores fed to the layer's nodes."""

    def __init__(self, cores, sharpness, train_count):
        self.bond, self.sharpness = cores[1].shape[0], sharpness
        self.cores = [torch.nn.Parameter(core.clone()) for core in cores]
        self.soft = torch.nn.Parameter(torch.full((SITES - 1,), float(self.bond), dtype=torch.float64))
        self.parameters = self.cores + [self.soft]
        self.layer = mps_layer(cores, torch.float32).parameterize(set_param=False, override=True)
        self.layer.auto_stack = False  # the nodes get new tensors every forward
        self.set_cores(self.masks())
        self.layer.trace(torch.zeros(1, SITES, PHYSICAL))
        # Penalty λ·P(s)/P(D_max) with the AIC weight λ = P(D_max)/N_train.
        self.full_count = LABELS * PHYSICAL * self.bond + (SITES - 2) * PHYSICAL * self.bond ** 2 + PHYSICAL * self.bond
        self.penalty_weight = self.full_count / train_count
        self.label_factor = torch.ones(SITES, dtype=torch.float64)
        self.label_factor[0] = LABELS
        log(f"penalty_weight {self.penalty_weight:.6g}")

    def masks(self):
        """m[i − 1, k − 1] = σ((s_i − k + 1/2)/τ), float64 [195, D_max]."""
        k = torch.arange(1, self.bond + 1, dtype=torch.float64)
        return torch.sigmoid((self.soft[:, None] - k + 0.5) / self.sharpness)

    def set_cores(self, masks):
        m = masks.to(torch.float32)
        one = torch.ones(1)
        for j, core in enumerate(self.cores):  # bond j + 1's mask on core j's right leg
            self.layer.mats_env[j + 1].tensor = core * (m[j] if j < SITES - 1 else one)

    def penalty(self):
        s = torch.cat([torch.ones(1, dtype=torch.float64), self.soft, torch.ones(1, dtype=torch.float64)])
        count = (s[:-1] * PHYSICAL * s[1:] * self.label_factor).sum()
        return self.penalty_weight / self.full_count * count

    def loss(self, x, y):
        self.set_cores(self.masks())
        ce = torch.nn.functional.cross_entropy(self.layer(x), y)
        return ce + self.penalty(), ce

    def project(self):
        with torch.no_grad():
            self.soft.clamp_(1, self.bond)

    def hard_dimensions(self):
        return [min(self.bond, max(1, math.floor(s + 0.5))) for s in self.soft.tolist()]

    def truncated_cores(self):
        """Bond i cut to D_i, its kept mask entries absorbed into core i − 1."""
        dims = self.hard_dimensions()
        m = self.masks().detach().to(torch.float32)
        cores = []
        for j, core in enumerate(self.cores):
            core = core.detach()
            if j > 0:
                core = core[:dims[j - 1]]
            if j < SITES - 1:
                core = core[..., :dims[j]] * m[j, :dims[j]]
            cores.append(core)
        return cores

    def scores(self, features):
        return outputs(mps_layer(self.truncated_cores(), torch.float32), features)

    def parameter_count(self):
        """The truncated evaluation model's core entries."""
        return sum(core.numel() for core in self.truncated_cores())

    def report(self):
        """Native's records of the trained model, to standard error."""
        log(f"bond_dimensions {self.hard_dimensions()}")
        log(f"soft_bond_dimensions {[round(s, 4) for s in self.soft.tolist()]}")
        log(f"param_count {self.parameter_count()} (D_max: {self.full_count})")


def main():
    protocol = problem["protocol"]
    features, labels, init_rng, shuffle_rng = barratt.start(protocol.get("numerics", "plain"))
    model_name, bond = protocol["model"], int(protocol["bond_dimension"])
    cores, dense = barratt.copy_node_cores(int(protocol["dense_nodes"]), bond, np.array([1.0, 0.8], np.float32), init_rng)
    cores, scale_factor = barratt.calibrate(cores, dense, features["train"])  # the raw model, no regularizers
    scalars = {"init_scale_factor": scale_factor}
    if model_name == "mps":
        scalars["init_log10_output"] = barratt.log10_output(cores, features["validation"])
        barratt.train(barratt.MPS(cores), features, labels, shuffle_rng, scalars)
    elif model_name == "rank_regularized":
        model = RankRegularizedMPS(cores, float(protocol["sharpness"]), len(labels))
        scalars["init_log10_output"] = barratt.log10_output(model.truncated_cores(), features["validation"])
        scalars["penalty_weight"] = model.penalty_weight
        barratt.train(model, features, labels, shuffle_rng, scalars, before_final=model.report)
    else:
        sys.exit(f"tensorkrowch: unknown model {model_name}")


if __name__ == "__main__":
    barratt.run(main)
