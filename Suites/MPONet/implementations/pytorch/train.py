"""MPO-Net (Gao et al. 2020) in PyTorch: the four networks of the MPONet suite (networks.py),
trained under TNBench's implementation contract (docs/IMPLEMENTATIONS.md) by the native protocol:

- mean softmax cross-entropy plus (α/2)·Σw² over every trainable tensor (weights, MPO cores and
  biases alike), α = protocol.l2 — SGD's weight_decay adds α·w to each gradient;
- SGD with classical momentum μ (v ← μ·v + g, w ← w − η_t·v; μ = 0 is plain SGD), learning rate
  η_t = lr₀·decay_rate^(t/decay_steps) at step t = 0, 1, … (continuous, per step);
- batches of batch_size from a fresh permutation of the training set each epoch (seeded by the
  job's seed), a last partial batch dropped;
- test scores (logits) every evaluation_interval steps, after every epoch and after training;
- the MPO layers contract core by core or through their dense matrix as settings.contraction
  says (auto: the order native's flop model picks for the batch size; same numbers either way).

Differences from native:
- Random streams: the initial weights and the batch order come from torch's generators seeded by
  the job's seed, not TNBench's Philox streams, so one seed draws other (equally distributed)
  weights and orders than native does.
- Arithmetic: float32 throughout as native, but PyTorch's kernels (oneDNN convolutions, its GEMMs,
  autograd's contraction order for the core gradients) round differently; native computes the
  momentum step in Float64, torch in float32.
- On a non-finite batch loss native stops the run with an error (that step not taken); here the
  epoch is reported with that loss (so the harness marks the job diverged), and training stops.
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

    import networks


EVENTS = sys.stdout   # contract events only; everything else is sent to stderr (see __main__)


def emit(event, **fields):
    print(json.dumps({"event": event, **fields}), file=EVENTS, flush=True)


def main(path, build=networks.build, libraries=None):
    """Runs the job of problem.json at `path`. Another implementation of the suite reuses this loop
    with its own `build(network, bond, contraction)` (MPO layers `networks.MPOContraction`) and the
    `libraries` (name → version) its layers add to the environment event (the tltorch one does)."""
    with open(path) as f:
        problem = json.load(f)
    protocol, predict = problem["protocol"], problem["predict"]
    threads = int(problem["threads"])
    torch.set_num_threads(threads)
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(threads)
    emit("environment", libraries={**(libraries or {}), "torch": torch.__version__, "numpy": np.__version__},
         device="cpu", threads=torch.get_num_threads())

    data = problem["data"]
    x = torch.from_numpy(np.load(data["train"]["inputs"]))
    y = torch.from_numpy(np.load(data["train"]["labels"]).astype(np.int64))
    wanted = set(predict.get("epoch", [])) | set((predict.get("step") or {}).get("sets", [])) | set(predict.get("final", []))
    inputs = {name: x if name == "train" else torch.from_numpy(np.load(data[name]["inputs"])) for name in wanted}
    out_dir = problem["output_directory"]
    os.makedirs(out_dir, exist_ok=True)

    torch.manual_seed(problem["seed"])
    network = protocol["network"]
    model = build(network, protocol.get("bond_dimension"), problem.get("settings", {}).get("contraction", "auto"))
    for name, layer in model.named_modules():
        if isinstance(layer, networks.MPOContraction):
            print(f"{name}: cores {layer.core_shapes()}, contraction at batch "
                  f"{protocol['batch_size']}: {layer.order(protocol['batch_size'])}", file=sys.stderr)

    lr0, rate, decay_steps = protocol["learning_rate"], protocol["decay_rate"], protocol["decay_steps"]
    optimizer = torch.optim.SGD(model.parameters(), lr=lr0, momentum=protocol["momentum"],
                                weight_decay=protocol["l2"])
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: rate ** (t / decay_steps))

    def predictions(checkpoint, sets, tag):
        """Writes the scores of `sets` (in batches of 500, as native) and announces them."""
        files = {}
        with torch.no_grad():
            for name in sets:
                scores = torch.cat([model(chunk) for chunk in inputs[name].split(500)])
                files[name] = f"{tag}-{name}.npy"
                np.save(os.path.join(out_dir, files[name]), scores.numpy().astype(np.float32))
        emit("predictions", checkpoint=checkpoint, sets=files)

    batch, epochs = protocol["batch_size"], protocol["epochs"]
    per_epoch = x.shape[0] // batch
    step_predict = predict.get("step") or {}
    interval = step_predict.get("interval") or 0
    shuffle = torch.Generator().manual_seed(problem["seed"])
    step = 0
    for epoch in range(1, epochs + 1):
        order = torch.randperm(x.shape[0], generator=shuffle)
        seconds, loss_sum, diverged = 0.0, 0.0, None
        for b in range(per_epoch):
            start = time.perf_counter()
            idx = order[b * batch:(b + 1) * batch]
            loss = F.cross_entropy(model(x[idx]), y[idx])     # L2 enters the step as weight decay
            value = loss.item()
            if not math.isfinite(value):
                seconds += time.perf_counter() - start
                diverged = value
                break
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            seconds += time.perf_counter() - start
            step += 1
            loss_sum += value
            if interval > 0 and step % interval == 0:        # evaluations are not timed
                predictions({"step": step}, step_predict.get("sets", []), f"step-{step}")
        if diverged is not None:
            emit("epoch", epoch=epoch, seconds=seconds, loss=diverged)
            print(f"non-finite loss at step {step + 1}: stopping", file=sys.stderr)
            break
        emit("epoch", epoch=epoch, seconds=seconds, loss=loss_sum / per_epoch)
        predictions({"epoch": epoch}, predict.get("epoch", []), f"epoch-{epoch}")
        emit("progress", fraction=epoch / epochs, detail=f"epoch {epoch}/{epochs}, step {step}")
    emit("record", scalars=networks.counts(model))
    predictions("final", predict.get("final", []), "final")


if __name__ == "__main__":
    with contextlib.redirect_stdout(sys.stderr):
        main(sys.argv[-1] if len(sys.argv) > 1 else os.environ["TNBENCH_PROBLEM"])
