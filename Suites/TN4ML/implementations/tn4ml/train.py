"""tn4ml's breast-cancer MPS classifier (Puljak et al. 2025, arXiv 2502.13090) under the TNBench harness
(contract 1, docs/IMPLEMENTATIONS.md), written against tn4ml's public API as its example
docs/source/examples/supervised/breast_class.py uses it (formerly ci/frameworks/tn4ml_breast_cancer.py):

  model     MPS_initialize(L=30, shape_method='noteven', phys_dim=d, bond_dim=D, class_index=label_site+1
            (tn4ml counts this one from 1), canonical_center, class_dim=2, add_identity=True, boundary='obc',
            initializer=randn(init_std), key=jax.random.key(seed), float64)
  training  model.configure(strategy='global' | 'sweeps', optax.adam(lr, eps=adam_epsilon), loss = mean of
            OptaxWrapper(optax.softmax_cross_entropy) (softmax cross-entropy of the unit logits f/|f|));
            model.train(batch_size, epochs=max_epochs, embedding, normalize + canonize=(True, center) for
            gauge=canonical, EarlyStopping('val_loss', patience, min_delta=0), val_batch_size=batch_size,
            shuffle=True, seed=seed). The model predicted from is the last one, as in tn4ml's example.
  embedding tn4ml's own embedding of `inputs` (embedded inside its jitted loss, as in the example):
            polynomial PolynomialEmbedding(degree=2, n=1, include_bias=True); trigonometric
            TrigonometricEmbedding(k=1); fourier FourierEmbedding(p=3); legendre LegendreEmbedding(degree=2).
            tn4ml's `embed` normalizes every product state, so these give exactly the harness's `features`
            (checked on the first training row at start). gaussian_rbf: the harness's `features` through
            tn4ml's JaxArraysEmbedding, because tn4ml's GaussianRBFEmbedding has no square in its exponent
            and is a constant map after normalization (TN4MLProblem.swift, FeatureMap.swift).
  epochs    one model.train call; an EarlyStopping subclass (tn4ml's per-epoch hook, called after the
            validation-loss pass) emits the epoch event (tn4ml's own epoch_time: the training pass with its
            per-step normalize / canonicalize) and writes the validation scores (model.forward).

Differences from native (NativeTN4ML.swift):
  - Batch order: tn4ml's shuffle=True with seed=job seed draws ONE permutation (jax PRNGKey(seed)) and
    reuses it every epoch (train() passes the same seed to every epoch); native reshuffles every epoch.
    (tn4ml's example does not shuffle at all.) Its validation passes see the same shuffled order.
  - Initialization: tn4ml draws every core from the same JAX key (equal-shaped cores start identical);
    native draws each core afresh. Both: N(0, init_std^2), identity on the physical-0 slice of all cores
    but the output core, boundary mask, canonical around the centre, norm 1.
  - Validation loss (the early-stopping monitor) is tn4ml's: the mean of per-batch means (batches of
    batch_size: 32, 32, 27 on 91 rows), not the mean over samples.
  - Epoch loss: tn4ml divides the sum of batch losses by len(train) // batch_size (11 for 12 batches);
    the reported `loss` is rescaled to the mean over the batches actually run, as native reports it.
  - sweeps: tn4ml's Sweeps() (two-way, two-site, one Adam state per pair) with tn4ml's loss, which
    normalizes the logits (native's sweeper uses raw logits); tn4ml's val-loss pass runs the sweep's
    pre/post hooks (canonicalize, contract, SVD split) on the live model, as tn4ml does.
    tn4ml 1.1.0's sweeps reuse one jitted trace per merged-tensor shape, and the trace bakes in the rest of
    the network (and which pair is replaced) as constants from its first call: later pairs of the same
    shape get the loss and gradient of a stale network (on a 10-site D=2 model after one epoch: cached loss
    0.998737, live network 0.998568, the same call after jax.clear_caches() 0.998568). Run as tn4ml runs
    it, not patched.
  - Epoch seconds span the training pass and the validation-loss pass, as native's (tn4ml's own
    epoch_time, the training pass alone, is printed to standard error); epoch 1 includes JAX's tracing
    and XLA compilation (~20 s at D <= 5 here, against ~1 s for later epochs); native has no compile step.
  - display_val_acc is off: the harness computes accuracy from the validation scores this program writes.
  - Threads: XLA_FLAGS (intra-op pool) and the OMP/BLAS variables from problem["threads"]. The process is
    not pinned to CPUs (the side script was): jobs running side by side would share the same ones.
"""
import contextlib
import json
import math
import os
import sys
import time

EVENTS = sys.stdout  # the contract's channel; everything else goes to stderr


def emit(**event):
    EVENTS.write(json.dumps(event) + "\n")
    EVENTS.flush()


def limit_threads(n):
    """Before jax is imported: XLA's intra-op pool and the BLAS libraries to n threads."""
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + f" --xla_cpu_multi_thread_eigen="
                               f"{'false' if n == 1 else 'true'} intra_op_parallelism_threads={n}").strip()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        os.environ[var] = str(n)
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TQDM_DISABLE", "1")


class StopTraining(Exception):
    """Raised from the epoch hook on a non-finite loss: the harness marks the job diverged."""


def main(problem):
    import jax
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_default_matmul_precision", "highest")
    import jax.numpy as jnp
    import numpy as np
    import optax
    from importlib.metadata import version
    from tn4ml import embeddings as E
    from tn4ml.initializers import randn
    from tn4ml.metrics import OptaxWrapper
    from tn4ml.models.mps import MPS_initialize
    from tn4ml.util import EarlyStopping, TrainingType, integer_to_one_hot

    P, seed, out = problem["protocol"], int(problem["seed"]), problem["output_directory"]
    os.makedirs(out, exist_ok=True)
    emit(event="environment", threads=int(problem["threads"]), device=str(jax.devices()[0].platform),
         libraries={name: version(name) for name in ("tn4ml", "jax", "jaxlib", "quimb", "optax", "numpy")})

    data = {name: {key: np.load(path) for key, path in part.items()} for name, part in problem["data"].items()}
    d = data["train"]["features"].shape[2]
    name = P["embedding"]
    native_maps = {"polynomial": lambda: E.PolynomialEmbedding(degree=2, n=1, include_bias=True),
                   "trigonometric": lambda: E.TrigonometricEmbedding(k=1),
                   "fourier": lambda: E.FourierEmbedding(p=3), "legendre": lambda: E.LegendreEmbedding(degree=2)}
    if name in native_maps:
        embedding, key = native_maps[name](), "inputs"
        # tn4ml's local vectors, normalized as its `embed` normalizes the product state, must be the
        # harness's features: check on the first training row.
        row = np.stack([np.asarray(embedding(jnp.asarray(x))).ravel() for x in data["train"]["inputs"][0]])
        row = row / np.linalg.norm(row, axis=1, keepdims=True)
        if row.shape != data["train"]["features"][0].shape or not np.allclose(row, data["train"]["features"][0], atol=1e-9):
            raise SystemExit(f"tn4ml's {name} embedding does not reproduce the harness's features")
    else:  # gaussian_rbf (tn4ml's own is constant) and anything else: the given product states
        embedding, key = E.JaxArraysEmbedding(dim=d, input_dim=d), "features"
    X = {s: np.ascontiguousarray(part[key], dtype=np.float64) for s, part in data.items()}
    Y = {s: integer_to_one_hot(part["labels"], 2) for s, part in data.items() if "labels" in part}

    def loss(*args, **kwargs):
        return OptaxWrapper(optax.softmax_cross_entropy)(*args, **kwargs).mean()

    L, bs, center = X["train"].shape[1], int(P["batch_size"]), int(P["canonical_center"])
    model = MPS_initialize(L=L, initializer=randn(float(P["init_std"])), key=jax.random.key(seed),
                           shape_method="noteven", compress=False, cyclic=False, phys_dim=d,
                           bond_dim=int(P["bond_dimension"]), class_index=int(P["label_site"]) + 1,
                           canonical_center=center, class_dim=2, add_identity=True, boundary="obc", dtype=jnp.float64)
    eps = float(P["adam_epsilon"])
    model.configure(optimizer=lambda learning_rate: optax.adam(learning_rate, eps=eps),
                    strategy="global" if P["optimizer"] == "gradient" else "sweeps", loss=loss,
                    train_type=TrainingType.SUPERVISED, learning_rate=float(P["learning_rate"]), device=("cpu", 0))

    def scores(split):
        # One batch of every row: model.forward jits a fresh vmap of model.predict on each call, so it
        # compiles once per distinct batch shape per call (seconds each); one shape is one compile.
        rows = len(X[split])
        return np.asarray(model.forward(X[split], embedding=embedding, batch_size=max(rows, 2), normalize=True,
                                        dtype=jnp.float64), dtype=np.float64).reshape(rows, 2)

    def write(checkpoint, sets, prefix):
        files = {}
        for s in sets:
            files[s] = f"{prefix}-{s}.npy"
            np.save(os.path.join(out, files[s]), scores(s))
        emit(event="predictions", checkpoint=checkpoint, sets=files)

    batches = math.ceil(len(X["train"]) / bs)
    max_epochs = int(P["max_epochs"])
    epoch_sets = problem.get("predict", {}).get("epoch", [])

    class EpochHook(EarlyStopping):
        """tn4ml's early stopping, plus the contract's per-epoch events. An epoch's seconds are
        TN4ML's span (problem["epoch_seconds"]): from the end of the previous hook (or the start of
        training) to this hook, i.e. the training pass and the validation-loss pass, as native times
        them; tn4ml's own epoch_time (training pass only) goes to standard error."""

        last = time.perf_counter()

        def on_end_epoch(self, loss_current, epoch, current_model):
            seconds = time.perf_counter() - EpochHook.last
            h = current_model.history
            mean_loss = h["loss"][-1] * max(1, len(X["train"]) // bs) / batches
            print(f"tn4ml epoch_time {h['epoch_time'][-1]:.4f} s of {seconds:.4f} s", file=sys.stderr)
            emit(event="epoch", epoch=epoch + 1, seconds=seconds, loss=mean_loss)
            if epoch_sets:
                write({"epoch": epoch + 1}, epoch_sets, f"epoch-{epoch + 1}")
            emit(event="progress", fraction=(epoch + 1) / max_epochs, detail=f"epoch {epoch + 1}/{max_epochs}")
            if not math.isfinite(mean_loss):
                raise StopTraining()
            decision = super().on_end_epoch(loss_current, epoch, current_model)
            EpochHook.last = time.perf_counter()
            return decision

    stop = EpochHook(monitor="val_loss", min_delta=0, patience=int(P["patience"]), mode="min")
    EpochHook.last = time.perf_counter()
    canonical = P["gauge"] == "canonical"
    try:
        model.train(X["train"], targets=Y["train"], val_inputs=X["validation"], val_targets=Y["validation"],
                    epochs=max_epochs, batch_size=bs, embedding=embedding, normalize=canonical,
                    canonize=(canonical, center), earlystop=stop, eval_metric=loss, val_batch_size=bs,
                    display_val_acc=False, dtype=jnp.float64, shuffle=True, seed=seed)
    except StopTraining:
        print("non-finite training loss: stopped", file=sys.stderr)
    write("final", problem.get("predict", {}).get("final", list(X)), "final")


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else os.environ["TNBENCH_PROBLEM"]
    with open(path) as f:
        job = json.load(f)
    limit_threads(int(job.get("threads", 1)))
    with contextlib.redirect_stdout(sys.stderr):
        main(job)
