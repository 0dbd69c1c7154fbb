"""MPO-Net's FC2 baseline (784 → 256 ReLU → 10, no biases) trained by plain NumPy in float32.

The minimal example of docs/IMPLEMENTATIONS.md: read problem.json (the last argument), train by
its protocol, write one JSON event per line on stdout and the test scores as .npy files.

Protocol (as NativeMPONet): weights drawn from a normal of σ = 0.1 truncated at 2σ (redrawn);
each epoch a fresh permutation of the training set in batches of `batch_size` (a last partial
batch is dropped); loss = mean softmax cross-entropy + (α/2)·Σw² over both weight matrices (FC2
has no biases); SGD v ← μ·v + g, w ← w − lr·v with lr = lr₀·decay_rate^(t/decay_steps), t the
steps taken before this one. The reported loss is the epoch's mean cross-entropy without L2.

Differences from native:
- Random numbers: NumPy's PCG64 seeded from problem["seed"] (one stream for the weights, one
  for the batch order), not TNBench's Philox streams: same distributions, other draws.
- With momentum > 0 the velocity is kept in float32; native keeps it in float64.
- Summation order of the matrix products (NumPy's BLAS against TNBench's).
- A non-finite batch loss ends training (its epoch reports it, then the final predictions);
  native stops by an error at that step without taking it.
"""
import json
import os
import sys
import time

problem = json.load(open(sys.argv[-1]))
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = str(problem["threads"])  # before NumPy loads its BLAS
import numpy as np  # noqa: E402


def emit(**event):
    print(json.dumps(event), flush=True)


def truncated_normal(rng, shape, sigma):
    z = rng.standard_normal(shape)
    while (outside := np.abs(z) > 2).any():
        z[outside] = rng.standard_normal(outside.sum())
    return (sigma * z).astype(np.float32)


def main():
    protocol, predict = problem["protocol"], problem["predict"]
    if protocol.get("network") != "fc2":
        sys.exit(f"numpy: only network=fc2 is implemented, not {protocol.get('network')}")
    inputs = {name: np.load(arrays["inputs"]) for name, arrays in problem["data"].items()}
    x, y = inputs["train"], np.load(problem["data"]["train"]["labels"])
    batch, epochs = protocol["batch_size"], protocol["epochs"]
    lr0, rate, decay_steps = protocol["learning_rate"], protocol["decay_rate"], protocol["decay_steps"]
    mu, alpha = protocol["momentum"], protocol["l2"]
    interval = (predict.get("step") or {}).get("interval", 0)
    steps_per_epoch = len(y) // batch
    if steps_per_epoch == 0:
        sys.exit(f"numpy: batch_size {batch} exceeds the {len(y)} training samples")
    out = problem["output_directory"]
    os.makedirs(out, exist_ok=True)
    emit(event="environment", libraries={"numpy": np.__version__}, device="cpu", threads=problem["threads"])

    init_rng, shuffle_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(problem["seed"]).spawn(2))
    weights = [truncated_normal(init_rng, (784, 256), 0.1), truncated_normal(init_rng, (256, 10), 0.1)]
    velocity = [np.zeros_like(w) for w in weights]

    def scores(samples):
        return np.maximum(samples @ weights[0], 0) @ weights[1]

    def hand_over(checkpoint, sets, tag):
        if not sets:
            return
        files = {}
        for name in sets:
            files[name] = f"{tag}-{name}.npy"
            np.save(os.path.join(out, files[name]), scores(inputs[name]))
        emit(event="predictions", checkpoint=checkpoint, sets=files)

    step, finite = 0, True
    for epoch in range(1, epochs + 1):
        order, seconds, losses = shuffle_rng.permutation(len(y)), 0.0, []
        for b in range(steps_per_epoch):
            start = time.perf_counter()
            rows = order[b * batch:(b + 1) * batch]
            xb, yb = x[rows], y[rows]
            # Forward: hidden ReLU layer, logits, softmax cross-entropy (shifted for stability).
            hidden = np.maximum(xb @ weights[0], 0)
            logits = hidden @ weights[1]
            logits -= logits.max(axis=1, keepdims=True)
            probabilities = np.exp(logits)
            probabilities /= probabilities.sum(axis=1, keepdims=True)
            loss = float(-np.mean(np.log(probabilities[np.arange(batch), yb])))
            if not np.isfinite(loss):
                finite = False
                losses.append(loss)
                break
            # Backward: d(loss)/d(logits) = (softmax − one-hot) / batch, then the chain rule.
            probabilities[np.arange(batch), yb] -= 1
            probabilities /= batch
            gradient_hidden = (probabilities @ weights[1].T) * (hidden > 0)
            gradients = [xb.T @ gradient_hidden, hidden.T @ probabilities]
            lr = np.float32(lr0 * rate ** (step / decay_steps))
            for w, v, g in zip(weights, velocity, gradients):
                v *= mu
                v += g + alpha * w  # the L2 term's gradient α·w
                w -= lr * v
            step += 1
            seconds += time.perf_counter() - start
            losses.append(loss)
            if interval > 0 and step % interval == 0:
                hand_over({"step": step}, predict["step"]["sets"], f"step-{step}")
        emit(event="epoch", epoch=epoch, seconds=seconds, loss=float(np.mean(losses)))
        if not finite:
            break
        hand_over({"epoch": epoch}, predict.get("epoch", []), f"epoch-{epoch}")
        emit(event="progress", fraction=epoch / epochs, detail=f"epoch {epoch}/{epochs}")
    emit(event="record", scalars={"param_count": sum(w.size for w in weights), "bias_count": 0, "compression_ratio": 1})
    hand_over("final", predict["final"], "final")


if __name__ == "__main__":
    main()
