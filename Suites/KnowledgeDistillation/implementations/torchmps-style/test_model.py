"""The TorchMPS-style student's contraction against its definition (train.py's doc), in float64:
f_l(x) = e0^T A_0(x) ... A_{k-1}(x) L_l A_k(x) ... A_{n-1}(x) e0 with
A_s(x) = T_s[:, :, 0] x_s + T_s[:, :, 1] (1 - x_s) + B_half, multiplied out matrix by matrix.
Run by ci/implementations-test.sh with the implementation's Python environment; exits non-zero
and names the case on a mismatch."""
import sys

import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from train import TorchMPSStyle  # noqa: E402


def reference(model, x):
    """The definition, one explicit D x D matrix product at a time."""
    bond, k = model.bond, model.label_site
    e0 = torch.zeros(bond, dtype=torch.float64)
    e0[0] = 1
    rows = []
    for sample in x:
        def matrix(tensor, bias, s, pixel):
            return tensor[s, :, :, 0] * pixel + tensor[s, :, :, 1] * (1 - pixel) + bias
        left = e0.clone()
        for s in range(k):
            left = left @ matrix(model.left, model.left_bias, s, sample[s])
        right = e0.clone()
        for s in reversed(range(x.shape[1] - k)):
            right = matrix(model.right, model.right_bias, s, sample[k + s]) @ right
        rows.append(torch.stack([left @ model.label[c] @ right for c in range(model.label.shape[0])]))
    return torch.stack(rows)


def check(sites, label_site, bond, classes, seed):
    generator = torch.Generator().manual_seed(seed)
    torch.set_default_dtype(torch.float64)
    model = TorchMPSStyle(sites, bond, classes, label_site, init_std=0.3, generator=generator)
    with torch.no_grad():   # biases away from the identity, so that a transposed bias would show
        model.left_bias.add_(0.2 * torch.randn(bond, bond, generator=generator))
        model.right_bias.add_(0.2 * torch.randn(bond, bond, generator=generator))
    x = torch.rand(5, sites, generator=generator)
    got, want = model(x).detach(), reference(model, x).detach()
    error = (got - want).abs().max().item() / want.abs().max().item()
    # Float64 round-off over a few dozen products of order-one matrices: far below 1e-12.
    assert error < 1e-12, f"sites {sites}, label site {label_site}, D {bond}: relative error {error:.3e}"
    return error


if __name__ == "__main__":
    cases = [(7, 3, 4, 3, 0), (6, 0, 3, 2, 1), (6, 6, 3, 2, 2), (9, 5, 5, 10, 3)]
    worst = max(check(*case) for case in cases)
    print(f"torchmps-style model: {len(cases)} cases match the matrix-by-matrix definition (worst relative error {worst:.1e})")
