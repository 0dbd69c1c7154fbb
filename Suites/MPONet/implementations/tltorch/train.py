"""MPO-Net (Gao et al. 2020) with TensorLy-Torch: MPO-FC2 and MPO-LeNet-5 of the MPONet suite, their
MPO layers tltorch.FactorizedLinear layers with BlockTT (TT-matrix) weights, trained under TNBench's
implementation contract (docs/IMPLEMENTATIONS.md) by the native protocol. Everything but the MPO
layer is the pytorch implementation's code (../pytorch): the training loop, data, events and
predictions (train.py, its protocol described there) and the networks around the MPO layers
(networks.py: the same layers, modes, bonds and initialization order, built with this `MPOLinear`).

| network    | layers |
|------------|--------|
| mpo_fc2    | M_{4,7,7,4}^{4,4,4,4}(D) ReLU, M_{4,4,4,4}^{1,1,10,1}(4); zero biases; Glorot-normal cores |
| mpo_lenet5 | conv 5×5 1→6 SAME ReLU, max-pool 2, conv 5×5 6→16 VALID ReLU, max-pool 2, flatten (h, w, c), M_{2,10,10,2}^{2,5,6,2}(4) ReLU, M_{2,5,6,2}^{2,3,7,2}(4) ReLU, M_{2,3,7,2}^{1,5,2,1}(2); zero biases |

Each M_{I}^{J}(D) is a `tltorch.FactorizedLinear` with factorization "blocktt" (TensorLy-Torch's
tensor-train matrix, TTM): in_tensorized_features = I, out_tensorized_features = J, TT ranks
(1, D, …, D, 1). Its factor k has shape [D_{k−1}, J_k, I_k, D_k] and
W[(j₁…jₙ), (i₁…iₙ)] = G¹[1, j₁, i₁, :] ⋯ Gⁿ[:, jₙ, iₙ, 1], multi-indices row-major, first site
slowest: native's MPO with each core's two physical legs swapped (G^k = A^k transposed 1↔2).
The MPO layers contract core by core (tltorch's "factorized" forward) or through their dense
matrix ("reconstructed") as settings.contraction says (auto: the order native's flop model picks
for the batch size; same numbers either way).

Differences from native:
- Layers: none in the network. tltorch's BlockTT holds exactly native's MPO (same modes, TT ranks
  (1, D, …, D, 1), same multi-index order) with each core's two physical legs swapped; its own
  initialization is replaced by native's Glorot-normal cores and zero biases.
- Random streams, arithmetic and a non-finite loss: as the pytorch implementation (its train.py's
  "Differences from native"): torch's generators seeded by the job's seed, float32 kernels that
  round differently, a non-finite epoch reported and training stopped.
"""
import contextlib
import os
import sys

# Two implementations of one suite share the protocol's training loop: the pytorch folder's
# train.py and networks.py are imported from there (first on the path, so `train` is its module).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "pytorch"))

with contextlib.redirect_stdout(sys.stderr):
    import tensorly
    import tltorch
    import torch
    from tltorch.functional import factorized_linear

import networks  # noqa: E402
import train  # noqa: E402  (outside the redirection: its event stream is the stdout it sees at import)


class MPOLinear(networks.MPOContraction, tltorch.FactorizedLinear):
    """y = x·W + b, W an MPO of the modes `input_modes` → `output_modes` and bond dimension `bond`,
    as a TensorLy-Torch BlockTT FactorizedLinear.

    Initialization: tltorch's own (factors normal with σ chosen for the reconstructed matrix,
    bias uniform) is replaced by native's: the pytorch implementation's Glorot-normal cores
    (`networks.glorot_cores`, drawn in its layout and order, so one seed gives both implementations
    the same initial network), zero bias.

    Forward: tltorch's `factorized_linear` with implementation "factorized" (one einsum of the
    batch with all factors, which torch contracts left to right: core by core) or "reconstructed"
    (BlockTT.to_matrix() contracts the factors into W, then F.linear), as `order` picks.
    """

    def __init__(self, input_modes, output_modes, bond, contraction="auto"):
        n = len(input_modes)
        cores = networks.glorot_cores(input_modes, output_modes, bond)
        with torch.random.fork_rng(devices=[]):      # tltorch's default init, overwritten below, draws nothing from the stream
            super().__init__(tuple(input_modes), tuple(output_modes), bias=True, factorization="blocktt",
                             rank=[1] + [bond] * (n - 1) + [1])
        with torch.no_grad():
            for factor, core in zip(self.weight.factors, cores):
                factor.copy_(core.permute(0, 2, 1, 3))     # [D, I, J, D] → tltorch's [D, J, I, D]
            self.bias.zero_()
        self.input_modes, self.output_modes = list(input_modes), list(output_modes)
        self.contraction = contraction

    def core_shapes(self):
        """The cores in native's layout [D_{k−1}, I_k, J_k, D_k]."""
        return [(f.shape[0], f.shape[2], f.shape[1], f.shape[3]) for f in self.weight.factors]

    def forward(self, x):
        implementation = "factorized" if self.order(x.shape[0]) == "cores" else "reconstructed"
        return factorized_linear(x, self.weight(), bias=self.bias, in_features=self.in_features,
                                 implementation=implementation)


def build(network, bond=None, contraction="auto"):
    """The network of the `network` axis with tltorch MPO layers, drawn from torch's global generator."""
    if network not in ("mpo_fc2", "mpo_lenet5"):
        raise ValueError(f"this implementation builds only the MPO networks, not {network!r}")
    return networks.build(network, bond, contraction, mpo=MPOLinear)


if __name__ == "__main__":
    with contextlib.redirect_stdout(sys.stderr):
        train.main(sys.argv[-1] if len(sys.argv) > 1 else os.environ["TNBENCH_PROBLEM"], build=build,
                   libraries={"tensorly-torch": tltorch.__version__, "tensorly": tensorly.__version__})
