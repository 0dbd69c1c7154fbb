"""Barratt, Dborin & Wright's MPS classifier (CopyNodeInit) as a TensorKrowch `MPSLayer` trained by
torch's Adam: the contract of docs/IMPLEMENTATIONS.md (problem.json is the last argument).

The model (native's 388D² + 22D parameters in an `MPSLayer`, label node first), the copy-node
initialization and its calibration, the Keras-form Adam loop and the events are Barratt's protocol
in barratt_tensorkrowch.py, shared with RankRegularization's tensorkrowch implementation; its
docstring gives them and the differences from native they bring. This file adds the suite's inits.

Protocol (as NativeCopyNodeInit):
- glorot / he / lecun draw every core N(0, Var(A)) with Var(A) = (σ²_target/D^E)^(1/V),
  V = 196, E = 195, fan_in = 2^196, fan_out = 10 (in log space).
- copy_node: the shared copy-node MPS, v = (1, 0.8), calibrated. copy_node_v10: v = (1, 0),
  uncalibrated.
- Records: init_log10_output, param_count, nonfinite_batches; init_scale_factor for copy_node
  (the calibrated init), as native.

Differences from native: those listed in barratt_tensorkrowch.py (random numbers, contraction,
padding work, float32 Adam moments, float64 calibration logits, epochs after a non-finite one).
"""
import sys

import barratt_tensorkrowch as barratt  # reads the job and sets the threads before importing the libraries
from barratt_tensorkrowch import SITES, np, problem


def matched_cores(target, bond, rng):
    """Every core N(0, Var(A)) matched on W with V = 196 (TensorKrowch layout)."""
    std = barratt.core_std(target, bond, SITES)
    return barratt.layer_cores([(std * rng.standard_normal(shape)).astype(np.float32) for shape in barratt.native_shapes(bond)])


def main():
    protocol, configuration = problem["protocol"], problem.get("configuration", {})
    setting = lambda key, default=None: protocol.get(key, configuration.get(key, default))  # noqa: E731
    features, labels, init_rng, shuffle_rng = barratt.start(setting("numerics", "plain"))
    init, bond = setting("init"), int(setting("bond_dimension", configuration.get("D")))
    scalars = {}
    if init in ("glorot", "he", "lecun"):
        cores = matched_cores(init, bond, init_rng)
    elif init in ("copy_node", "copy_node_v10"):
        vector = np.array([1.0, 0.0] if init == "copy_node_v10" else [1.0, 0.8], np.float32)
        cores, dense = barratt.copy_node_cores(int(setting("dense_nodes")), bond, vector, init_rng)
        if init == "copy_node":  # calibrate the output scale on the first 1,000 training images
            cores, scalars["init_scale_factor"] = barratt.calibrate(cores, dense, features["train"])
    else:
        sys.exit(f"tensorkrowch: unknown init {init}")
    scalars["init_log10_output"] = barratt.log10_output(cores, features["validation"])
    barratt.train(barratt.MPS(cores), features, labels, shuffle_rng, scalars)


if __name__ == "__main__":
    barratt.run(main)
