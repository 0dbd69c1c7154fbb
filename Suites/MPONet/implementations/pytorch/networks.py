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


class MPOLinear(nn.Module):
    """y = x·W + b with W = MPO(A¹…Aⁿ) of shape [Π I_k, Π J_k]; the cores A^k [D_{k−1}, I_k, J_k, D_k]
    (D₀ = Dₙ = 1) are the parameters. Multi-indices are row-major, first site slowest:
    W[(i₁…iₙ), (j₁…jₙ)] = A¹[1, i₁, j₁, :] · A²[:, i₂, j₂, :] ⋯ Aⁿ[:, iₙ, jₙ, 1].

    Two contraction orders, as TNBench's `MPOLinear`:
    - "cores": contract the batch with one core after another (a transpose and a GEMM per core);
    - "dense": contract the cores into W (once per forward), then one GEMM over the batch.
    "auto" picks per batch size the order with fewer training flops by TNBench's own flop model
    (core-by-core flops counted twice), so both implementations take the same order.
    Autograd differentiates either order into the cores.
    """

    CORE_BY_CORE_COST_FACTOR = 2.0

    def __init__(self, input_modes, output_modes, bond, contraction="auto"):
        super().__init__()
        n = len(input_modes)
        assert n == len(output_modes) and bond >= 1
        self.input_modes, self.output_modes = list(input_modes), list(output_modes)
        self.input_size, self.units = math.prod(input_modes), math.prod(output_modes)
        self.contraction = contraction
        cores = []
        for k in range(n):
            left, right = (1 if k == 0 else bond), (1 if k == n - 1 else bond)
            # Glorot normal on the core viewed as [J_k·D_k, D_{k−1}·I_k] (TensorFlow's glorot_normal:
            # variance 2/(fan_in + fan_out), truncated at 2σ with σ scaled up by 1/0.8796).
            std = math.sqrt(2.0 / (output_modes[k] * right + left * input_modes[k])) / TRUNCATED_STD
            cores.append(nn.Parameter(truncated_normal_(torch.empty(left, input_modes[k], output_modes[k], right), std)))
        self.cores = nn.ParameterList(cores)
        self.bias = nn.Parameter(torch.zeros(self.units))

    # Flop model of TNBench's MPOLinear (forward + parameter gradients, input gradient left out).
    def _training_flops(self, batch):
        shapes = [tuple(c.shape) for c in self.cores]
        product, bias = 2.0 * batch * self.input_size * self.units, float(batch * self.units)
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
    def __init__(self, bond, contraction):
        super().__init__()
        self.fc1 = MPOLinear([4, 7, 7, 4], [4, 4, 4, 4], bond, contraction)
        self.fc2 = MPOLinear([4, 4, 4, 4], [1, 1, 10, 1], 4, contraction)

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
    def __init__(self, contraction):
        super().__init__()
        self.front = LeNetFront()
        # The last convolution sees its whole 5×5 input: the MPO replaces the map of the flattened patch.
        self.conv3 = MPOLinear([2, 10, 10, 2], [2, 5, 6, 2], 4, contraction)
        self.fc1 = MPOLinear([2, 5, 6, 2], [2, 3, 7, 2], 4, contraction)
        self.fc2 = MPOLinear([2, 3, 7, 2], [1, 5, 2, 1], 2, contraction)

    def forward(self, x):
        x = self.front(x).permute(0, 2, 3, 1).flatten(1)         # flatten in (h, w, c) order, as NHWC
        return self.fc2(F.relu(self.fc1(F.relu(self.conv3(x)))))


def build(network, bond=None, contraction="auto"):
    """The network of the `network` axis, drawn from torch's global generator."""
    if network == "fc2":
        return FC2()
    if network == "mpo_fc2":
        return MPOFC2(bond, contraction)
    if network == "lenet5":
        return LeNet5()
    if network == "mpo_lenet5":
        return MPOLeNet5(contraction)
    raise ValueError(f"unknown network {network!r}")
