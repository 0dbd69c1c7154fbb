"""Gao et al.'s four MNIST networks in PyTorch, built as TNBench's `MNISTNetworks` builds them.

| network    | layers |
|------------|--------|
| fc2        | Dense 784→256 ReLU, Dense 256→10; no biases; truncated normal σ = 0.1 |
| mpo_fc2    | M_{4,7,7,4}^{4,4,4,4}(D) ReLU, M_{4,4,4,4}^{1,1,10,1}(4); zero biases; Glorot-normal cores |
| lenet5     | conv 5×5 1→6 SAME ReLU, max-pool 2, conv 5×5 6→16 VALID ReLU, max-pool 2, conv 5×5 16→120 VALID ReLU, Dense 120→84 ReLU, Dense 84→10; zero conv biases, no dense biases; truncated normal σ = 0.1 |
| mpo_lenet5 | the same two convolutions and pools, flatten (h, w, c), M_{2,10,10,2}^{2,5,6,2}(4) ReLU, M_{2,5,6,2}^{2,3,7,2}(4) ReLU, M_{2,3,7,2}^{1,5,2,1}(2); zero biases |

"Truncated normal σ" is TensorFlow's `truncated_normal`: a normal of standard deviation σ
redrawn outside ±2σ. Inputs are `[B, 784]` (FC2 pair) or NHWC `[B, 28, 28, 1]` (LeNet-5 pair).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

SIGMA = 0.1                                  # the dense and convolutional baselines' σ
TRUNCATED_STD = 0.87962566103423978          # standard deviation of a unit normal truncated at ±2


def truncated_normal_(tensor, std):
    return nn.init.trunc_normal_(tensor, mean=0.0, std=std, a=-2 * std, b=2 * std)


class Dense(nn.Module):
    """y = x·W, W [in, out] drawn truncated normal σ = 0.1, no bias (the authors' dense layers)."""

    def __init__(self, inputs, outputs):
        super().__init__()
        self.weight = nn.Parameter(truncated_normal_(torch.empty(inputs, outputs), SIGMA))

    def forward(self, x):
        return x @ self.weight


def glorot_cores(input_modes, output_modes, bond):
    """Native's MPO cores A^k [D_{k−1}, I_k, J_k, D_k] (D₀ = Dₙ = 1), drawn in order from torch's
    global generator: Glorot normal on each core viewed as [J_k·D_k, D_{k−1}·I_k] (TensorFlow's
    glorot_normal: variance 2/(fan_in + fan_out), truncated at 2σ with σ scaled up by 1/0.8796)."""
    n = len(input_modes)
    assert n == len(output_modes) and bond >= 1
    cores = []
    for k in range(n):
        left, right = (1 if k == 0 else bond), (1 if k == n - 1 else bond)
        std = math.sqrt(2.0 / (output_modes[k] * right + left * input_modes[k])) / TRUNCATED_STD
        cores.append(truncated_normal_(torch.empty(left, input_modes[k], output_modes[k], right), std))
    return cores


class MPOContraction:
    """What every MPO layer of this suite shares, whatever holds its cores (this module's
    `MPOLinear`, the tltorch implementation's): the choice of contraction order and the weight
    count. A layer sets `input_modes`, `output_modes`, `contraction` and gives `core_shapes()`
    in native's layout [D_{k−1}, I_k, J_k, D_k].

    "auto" picks per batch size the order with fewer training flops by TNBench's own flop model
    (core-by-core flops counted twice), so every implementation takes native's order.
    """

    CORE_BY_CORE_COST_FACTOR = 2.0

    # Flop model of TNBench's MPOLinear (forward + parameter gradients, input gradient left out).
    def _training_flops(self, batch):
        shapes = self.core_shapes()
        inputs, units = math.prod(self.input_modes), math.prod(self.output_modes)
        product, bias = 2.0 * batch * inputs * units, float(batch * units)
        rows, contraction = 1.0, 0.0                       # forming W, core by core from the left
        prefix, core_gradients = 1.0, 0.0                  # projecting ∂L/∂W onto the cores
        for k, (dl, i, j, dr) in enumerate(shapes):
            contraction += 2 * rows * dl * i * j * dr
            rows *= i * j
            prefix *= i * j
            core_gradients += (2 if k > 0 else 1) * 2 * prefix * dl * dr
        dense = (contraction + product + bias) + (product + core_gradients + bias)
        per_core = []
        for k, (dl, i, j, dr) in enumerate(shapes):
            m = batch * math.prod(self.input_modes[k + 1:]) * math.prod(self.output_modes[:k])
            per_core.append(2.0 * m * dl * i * j * dr)
        total = sum(per_core)
        cores = (total + bias) + (2 * total - per_core[0] + bias)
        return dense, cores

    def order(self, batch):
        if self.contraction != "auto":
            return self.contraction
        dense, cores = self._training_flops(batch)
        return "cores" if self.CORE_BY_CORE_COST_FACTOR * cores < dense else "dense"


class MPOLinear(MPOContraction, nn.Module):
    """y = x·W + b with W = MPO(A¹…Aⁿ) of shape [Π I_k, Π J_k]; the cores A^k [D_{k−1}, I_k, J_k, D_k]
    (D₀ = Dₙ = 1) are the parameters. Multi-indices are row-major, first site slowest:
    W[(i₁…iₙ), (j₁…jₙ)] = A¹[1, i₁, j₁, :] · A²[:, i₂, j₂, :] ⋯ Aⁿ[:, iₙ, jₙ, 1].

    Two contraction orders, as TNBench's `MPOLinear` (picked by `MPOContraction.order`):
    - "cores": contract the batch with one core after another (a transpose and a GEMM per core);
    - "dense": contract the cores into W (once per forward), then one GEMM over the batch.
    Autograd differentiates either order into the cores.
    """

    def __init__(self, input_modes, output_modes, bond, contraction="auto"):
        super().__init__()
        self.input_modes, self.output_modes = list(input_modes), list(output_modes)
        self.input_size, self.units = math.prod(input_modes), math.prod(output_modes)
        self.contraction = contraction
        self.cores = nn.ParameterList(nn.Parameter(c) for c in glorot_cores(input_modes, output_modes, bond))
        self.bias = nn.Parameter(torch.zeros(self.units))

    def core_shapes(self):
        return [tuple(c.shape) for c in self.cores]

    def dense_matrix(self):
        w = torch.ones(1, 1, dtype=self.cores[0].dtype)
        for core in self.cores:                            # [(i₁j₁)…(i_kj_k), D_k]
            dl, i, j, dr = core.shape
            w = (w @ core.reshape(dl, i * j * dr)).reshape(-1, dr)
        n = len(self.cores)
        interleaved = [d for pair in zip(self.input_modes, self.output_modes) for d in pair]
        axes = list(range(0, 2 * n, 2)) + list(range(1, 2 * n, 2))
        return w.reshape(interleaved).permute(axes).reshape(self.input_size, self.units)

    def forward(self, x):
        batch = x.shape[0]
        if self.order(batch) == "dense":
            return x @ self.dense_matrix() + self.bias
        # State [B, I_k…I_n, J_1…J_{k−1}, D_{k−1}]: move I_k beside the bond, contract with A^k.
        y = x
        for core in self.cores:
            dl, i, j, dr = core.shape
            y = y.reshape(batch, i, -1).transpose(1, 2).reshape(-1, dl * i) @ core.reshape(dl * i, j * dr)
        return y.reshape(batch, self.units) + self.bias


def conv(inputs, outputs, padding):
    layer = nn.Conv2d(inputs, outputs, 5, padding=padding)
    truncated_normal_(layer.weight.data, SIGMA)
    nn.init.zeros_(layer.bias)
    return layer


class FC2(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = Dense(784, 256), Dense(256, 10)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


class MPOFC2(nn.Module):
    def __init__(self, bond, contraction, mpo=MPOLinear):
        super().__init__()
        self.fc1 = mpo([4, 7, 7, 4], [4, 4, 4, 4], bond, contraction)
        self.fc2 = mpo([4, 4, 4, 4], [1, 1, 10, 1], 4, contraction)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


class LeNetFront(nn.Module):
    """The two convolutions with pooling both LeNet-5 variants share: NHWC [B, 28, 28, 1] → NCHW [B, 16, 5, 5]."""

    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = conv(1, 6, 2), conv(6, 16, 0)   # SAME, VALID

    def forward(self, x):
        x = x.permute(0, 3, 1, 2)
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        return F.max_pool2d(F.relu(self.conv2(x)), 2)


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.front = LeNetFront()
        self.conv3 = conv(16, 120, 0)
        self.fc1, self.fc2 = Dense(120, 84), Dense(84, 10)

    def forward(self, x):
        x = F.relu(self.conv3(self.front(x))).flatten(1)         # [B, 120, 1, 1] → [B, 120]
        return self.fc2(F.relu(self.fc1(x)))


class MPOLeNet5(nn.Module):
    def __init__(self, contraction, mpo=MPOLinear):
        super().__init__()
        self.front = LeNetFront()
        # The last convolution sees its whole 5×5 input: the MPO replaces the map of the flattened patch.
        self.conv3 = mpo([2, 10, 10, 2], [2, 5, 6, 2], 4, contraction)
        self.fc1 = mpo([2, 5, 6, 2], [2, 3, 7, 2], 4, contraction)
        self.fc2 = mpo([2, 3, 7, 2], [1, 5, 2, 1], 2, contraction)

    def forward(self, x):
        x = self.front(x).permute(0, 2, 3, 1).flatten(1)         # flatten in (h, w, c) order, as NHWC
        return self.fc2(F.relu(self.fc1(F.relu(self.conv3(x)))))


def build(network, bond=None, contraction="auto", mpo=MPOLinear):
    """The network of the `network` axis, drawn from torch's global generator; `mpo` makes its
    MPO layers (`mpo(input_modes, output_modes, bond, contraction)`, an `MPOContraction`)."""
    if network == "fc2":
        return FC2()
    if network == "mpo_fc2":
        return MPOFC2(bond, contraction, mpo)
    if network == "lenet5":
        return LeNet5()
    if network == "mpo_lenet5":
        return MPOLeNet5(contraction, mpo)
    raise ValueError(f"unknown network {network!r}")


def counts(model):
    """The suite's informational metrics as NativeMPONet records them: `param_count` every trainable
    entry but the biases (dense and convolution weights, MPO cores), `bias_count` the bias entries,
    `compression_ratio` (Eq. 9) the MPO layers' weights over the weights of the dense layers they
    replace (Π I_k · Π J_k each), 1 for a network without MPO layers."""
    def size(module, biases):
        return sum(p.numel() for name, p in module.named_parameters() if (name.rsplit(".", 1)[-1] == "bias") == biases)
    mpos = [m for m in model.modules() if isinstance(m, MPOContraction)]
    replaced = sum(math.prod(m.input_modes) * math.prod(m.output_modes) for m in mpos)
    return {"param_count": size(model, False), "bias_count": size(model, True),
            "compression_ratio": sum(size(m, False) for m in mpos) / replaced if mpos else 1}
