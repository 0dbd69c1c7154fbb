"""Seconds per epoch and test accuracy of tn4ml's own breast-cancer MPS classifier (Puljak et al.
2025, arXiv 2502.13090): what a user of the TN4ML suite would otherwise run. It calls tn4ml 1.1.0
exactly as tn4ml's example docs/source/examples/supervised/breast_class.py does, with the settings
in force when the paper appeared (paper-baselines id "tn4ml-mps-breast-cancer"):

  data      Wisconsin breast cancer, 569 x 30 (sklearn's file, which `tnbench data fetch` provisions);
            label M -> 1, B -> 0 (1 - sklearn's target); per-feature min-max scaling on all 569 rows;
            train_test_split(test_size=0.2, random_state=42) twice -> 364 train / 91 valid / 114 test
            (ci/frameworks/sklearn_split_indices.py derives the same rows without numpy).
  model     MPS_initialize(L=30, shape_method='noteven', phys_dim=3, bond_dim=D, class_index=15,
            canonical_center=15, class_dim=2, add_identity=True, boundary='obc',
            initializer=randn(1e-2), key=jax.random.key(42))
  embedding PolynomialEmbedding(degree=2, n=1, include_bias=True): x -> [1, x, x^2]
            (--embedding trigonometric: TrigonometricEmbedding(k=1): x -> [cos(pi x/2), sin(pi x/2)])
  training  strategy 'global', optax.adam(1e-3), softmax cross-entropy (OptaxWrapper, mean over the
            batch), batch 32 without shuffling, float64, normalize=True, canonize=(True, 15),
            up to 100 epochs, EarlyStopping(monitor='val_loss', patience=10, min_delta=0),
            val_batch_size 32, display_val_acc=True; test accuracy with batch 64.
            (--loss weighted --lr 1e-4 --init-std 1e-4 gives the example's current HEAD instead.)

One epoch of `model.train` is: the training pass (12 steps: 11 batches of 32 and one of 12; after
every step normalize the MPS and re-canonicalize it at site 15), then the validation-loss pass
(`model.evaluate`, 91 samples in batches of 32) and, because the example sets display_val_acc,
a validation-accuracy pass (`model.accuracy`). All three are timed separately, inside one
`model.train(epochs=N)` call, by wrapping `evaluate` / `accuracy` and time-stamping the end of each
epoch in the early-stopping hook; the first epoch (JIT compilation) is reported on its own.

    bash ci/frameworks/tn4ml_breast_cancer.sh --bond-dims 2,5,10,20,50,100,200,400 --epochs 4 \
        --threads 2 --embedding polynomial --json /tmp/tn4ml-results.json [--full-train 20]

`--epochs N` trains N epochs per D for timing (epoch 1 = compile, epochs 2..N timed; a run stops after
its second epoch once an epoch exceeds --epoch-budget seconds); `--full-train D` (repeatable) also runs
the full early-stopped training at D and reports test accuracy; `--step-timing 200,400 --steps k` times
single training steps (gradient + Adam, normalize, canonicalize) where whole epochs take too long and
estimates the training pass as 364/32 steps. Each run is a separate child process (one at a time), so
compile caches and peak memory are per run.

Threads: the child pins itself before importing jax: sched_setaffinity to the first --threads CPUs
(XLA's CPU thread pools size themselves from the affinity mask), XLA_FLAGS
"--xla_cpu_multi_thread_eigen=<false if 1 thread> intra_op_parallelism_threads=<n>", and
OMP/OPENBLAS/MKL/NUMEXPR_NUM_THREADS=<n> for numpy/scipy. OPENBLAS_CORETYPE is left as the
environment has it (jax does not use OpenBLAS). The JSON records process CPU seconds per epoch, so the
effective parallelism (cpu / wall) is visible.

Measured 2026-12-02 on the shared 2-core machine under other load (1-minute load 6-12): with
--threads 2 (multi-threaded Eigen) tn4ml's eager per-step `canonicalize` took 10-13 s at D = 100 and
22 s at D = 200, against 0.2-0.4 s with --threads 1 (training pass 116 s vs 15 s at D = 100).
On the quiet machine (evening of 2026-12-02) --threads 2 is the faster setting at every D >= 100:
epoch 8.95 s vs 12.3 s at D = 100; per step 1.73 vs 2.22 s at D = 200 and 8.62 vs 13.72 s at
D = 400 (canonicalize 0.33 / 1.03 s of it with 2 threads). Run both thread counts before comparing.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bond-dims", default="2,5,10,20,50,100,200,400")
    p.add_argument("--epochs", type=int, default=4, help="epochs per D for timing (the first is compile)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--embedding", default="polynomial", choices=["polynomial", "trigonometric"])
    p.add_argument("--json", help="write all results here")
    p.add_argument("--full-train", type=int, action="append", default=[], metavar="D",
                   help="also train D to completion (early stopping) and report test accuracy")
    p.add_argument("--max-epochs", type=int, default=100)
    p.add_argument("--patience", type=int, default=10)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--init-std", type=float, default=1e-2)
    p.add_argument("--loss", default="softmax", choices=["softmax", "weighted"])
    p.add_argument("--seed", type=int, default=42, help="jax.random.key for the initializer")
    p.add_argument("--epoch-budget", type=float, default=120.0,
                   help="stop a timing run after the second epoch once an epoch takes longer (s)")
    p.add_argument("--step-timing", metavar="D,D", default="",
                   help="bond dimensions too slow for whole epochs: time single training steps instead")
    p.add_argument("--steps", type=int, default=2, help="timed steps per --step-timing run")
    p.add_argument("--worker", type=int, metavar="D", help=argparse.SUPPRESS)
    p.add_argument("--worker-mode", choices=["timing", "full", "steps"], help=argparse.SUPPRESS)
    return p.parse_args(argv)


def pin_threads(n):
    """Must run before jax is imported."""
    cpus = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, cpus[:n])
    os.environ["XLA_FLAGS"] = (f"--xla_cpu_multi_thread_eigen={'false' if n == 1 else 'true'} "
                               f"intra_op_parallelism_threads={n}")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        os.environ[var] = str(n)
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def load_data():
    """Scaled features and tn4ml labels in table order, then the two splits tn4ml makes."""
    import numpy as np
    from sklearn.model_selection import train_test_split
    sys.path.insert(0, HERE)
    sys.dont_write_bytecode = True                  # no __pycache__ in the work tree
    from sklearn_split_indices import load_table, tn4ml_split

    x, target = load_table()
    X = np.asarray(x, dtype=np.float64)
    y = 1 - np.asarray(target)                      # tn4ml: M -> 1, B -> 0; sklearn: 0 = malignant
    X = (X - X.min(axis=0)) / (X.max(axis=0) - X.min(axis=0))
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, X_valid, y_train, y_valid = train_test_split(X_train, y_train, test_size=0.2, random_state=42)
    train, valid, test = tn4ml_split(len(X))         # the same rows, derived without numpy's RNG
    assert np.array_equal(X_train, X[train]) and np.array_equal(X_valid, X[valid]) and np.array_equal(X_test, X[test])
    return X_train, y_train, X_valid, y_valid, X_test, y_test


class EpochClock:
    """Wall and CPU time stamps, compile events, and per-pass durations inside one `train` call."""

    def __init__(self):
        import jax
        self.compiles = []                           # (time, seconds) of every XLA backend compile
        def listener(event, duration, **_):
            if "backend_compile" in event:
                self.compiles.append((time.perf_counter(), duration))
        jax.monitoring.register_event_duration_secs_listener(listener)
        self.passes = {"val_loss": [], "val_acc": [], "normalize": [], "canonicalize": []}
        self.ends = []

    def wrap(self, model, name, key):
        original = getattr(model, name)
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            out = original(*args, **kwargs)
            self.passes[key].append(time.perf_counter() - t0)
            return out
        setattr(model, name, timed)

    def stamp(self):
        t = os.times()
        self.ends.append((time.perf_counter(), t.user + t.system))


def worker(args):
    import jax
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_default_matmul_precision", "highest")
    import jax.numpy as jnp
    import numpy as np
    import optax
    from sklearn.utils.class_weight import compute_class_weight
    import tn4ml
    from tn4ml.embeddings import PolynomialEmbedding, TrigonometricEmbedding
    from tn4ml.initializers import randn
    from tn4ml.metrics import CrossEntropyWeighted, OptaxWrapper
    from tn4ml.models.model import TrainingType
    from tn4ml.models.mps import MPS_initialize
    from tn4ml.util import EarlyStopping, integer_to_one_hot

    D, mode = args.worker, args.worker_mode
    X_train, y_train_int, X_valid, y_valid_int, X_test, y_test_int = load_data()
    class_weights = compute_class_weight(class_weight="balanced", classes=np.unique(y_train_int), y=y_train_int)
    y_train, y_valid, y_test = (integer_to_one_hot(v, 2) for v in (y_train_int, y_valid_int, y_test_int))

    def crossentropy_loss(*a, **k):
        return OptaxWrapper(optax.softmax_cross_entropy)(*a, **k).mean()

    def weighted_crossentropy_loss(*a, **k):
        return CrossEntropyWeighted(class_weights=class_weights)(*a, **k).mean()

    if args.embedding == "polynomial":
        embedding, phys_dim = PolynomialEmbedding(degree=2, n=1, include_bias=True), 3
    else:
        embedding, phys_dim = TrigonometricEmbedding(k=1), 2

    L = X_train.shape[1]
    class_index = L // 2
    model = MPS_initialize(L=L, initializer=randn(args.init_std), key=jax.random.key(args.seed),
                           shape_method="noteven", compress=False, cyclic=False, phys_dim=phys_dim,
                           bond_dim=D, class_index=class_index, canonical_center=class_index,
                           class_dim=2, add_identity=True, boundary="obc", dtype=jnp.float64)
    model.configure(optimizer=optax.adam, strategy="global",
                    loss=crossentropy_loss if args.loss == "softmax" else weighted_crossentropy_loss,
                    train_type=TrainingType.SUPERVISED, learning_rate=args.lr, device=("cpu", 0))

    clock = EpochClock()
    clock.wrap(model, "evaluate", "val_loss")
    clock.wrap(model, "accuracy", "val_acc")
    clock.wrap(model, "normalize", "normalize")        # called after every training step
    clock.wrap(model, "canonicalize", "canonicalize")  # likewise (canonize=(True, 15))
    if mode == "steps":
        return step_timing(args, model, clock, X_train, y_train, embedding, crossentropy_loss, jax, jnp)
    budget = args.epoch_budget if mode == "timing" else float("inf")

    class StopTiming(Exception):
        pass

    class TimedEarlyStopping(EarlyStopping):
        def on_end_epoch(self, loss_current, epoch, current_model):
            clock.stamp()
            result = super().on_end_epoch(loss_current, epoch, current_model)
            last = clock.ends[-1][0] - (clock.ends[-2][0] if len(clock.ends) > 1 else clock.start[0])
            if result == 0 and len(clock.ends) >= 2 and last > budget:
                raise StopTiming()
            return result

    earlystop = TimedEarlyStopping(min_delta=0, patience=args.patience, monitor="val_loss", mode="min")
    epochs = args.epochs if mode == "timing" else args.max_epochs
    t = os.times()
    clock.start = (time.perf_counter(), t.user + t.system)
    stopped_for_time = False
    try:
        history = model.train(X_train, targets=y_train, val_inputs=X_valid, val_targets=y_valid,
                              epochs=epochs, batch_size=32, embedding=embedding, normalize=True,
                              dtype=jnp.float64, earlystop=earlystop, canonize=(True, class_index),
                              display_val_acc=True, eval_metric=crossentropy_loss, val_batch_size=32)
    except StopTiming:
        history, stopped_for_time = model.history, True
    t_end = time.perf_counter()

    n = len(clock.ends)
    bounds = [clock.start] + clock.ends
    rows = []
    for e in range(n):
        w0, c0 = bounds[e]
        w1, c1 = bounds[e + 1]
        comp = [d for (t_c, d) in clock.compiles if w0 <= t_c <= w1]
        rows.append({
            "epoch": e + 1,
            "wall_s": w1 - w0,
            "train_pass_s": history["epoch_time"][e],
            "val_loss_pass_s": clock.passes["val_loss"][e],
            "val_acc_pass_s": clock.passes["val_acc"][e],
            "cpu_s": c1 - c0,
            "normalize_s": sum(clock.passes["normalize"][12 * e:12 * (e + 1)]),
            "canonicalize_s": sum(clock.passes["canonicalize"][12 * e:12 * (e + 1)]),
            "compiles": len(comp),
            "compile_s": sum(comp),
            "loss": history["loss"][e],
            "val_loss": history["val_loss"][e],
            "val_acc": history["val_acc"][e],
        })
    out = {"bond_dim": D, "mode": mode, "nparams": int(model.nparams()), "epochs_run": n,
           "stopped_for_time_budget": stopped_for_time, "epochs": rows,
           "total_train_call_s": t_end - clock.start[0]}
    if mode == "full":
        t0 = time.perf_counter()
        out["test_accuracy"] = model.accuracy(X_test, y_test, embedding=embedding, batch_size=64, dtype=jnp.float64)
        out["test_accuracy_s"] = time.perf_counter() - t0
        out["test_correct"] = int(round(out["test_accuracy"] * len(X_test)))
        out["best_epoch"] = earlystop.memory["best_epoch"] + 1
        out["best_val_loss"] = float(earlystop.memory["best"])
        out["stopped_by_early_stopping"] = n < epochs
        out["final_val_acc"] = rows[-1]["val_acc"]
        out["note"] = ("tn4ml's EarlyStopping keeps a reference to the model, not a copy: the test accuracy "
                       "is that of the last epoch's parameters, as in tn4ml's example")
    out["versions"] = {"tn4ml": getattr(tn4ml, "__version__", None) or _dist_version("tn4ml"),
                       "jax": jax.__version__}
    out["peak_rss_mb"] = _peak_rss_mb()
    print("RESULT " + json.dumps(out), flush=True)


def step_timing(args, model, clock, X_train, y_train, embedding, eval_metric, jax, jnp):
    """Per-step cost where whole epochs take too long: `model.train` on the first 32*k training rows
    (k full batches), two epochs, no validation; epoch 1 = compile + k steps, epoch 2 = k steps.
    A training pass over 364 rows is then about (364/32) steps (11 of 32 and one of 12)."""
    import numpy as np
    k = args.steps
    t = os.times()
    clock.start = (time.perf_counter(), t.user + t.system)
    history = model.train(X_train[:32 * k], targets=y_train[:32 * k], epochs=2, batch_size=32,
                          embedding=embedding, normalize=True, dtype=jnp.float64,
                          canonize=(True, X_train.shape[1] // 2))
    norm, canon = clock.passes["normalize"], clock.passes["canonicalize"]
    per_step = history["epoch_time"][1] / k
    out = {"bond_dim": args.worker, "mode": "steps", "nparams": int(model.nparams()), "steps_per_epoch": k,
           "first_epoch_s (compile + k steps)": history["epoch_time"][0],
           "second_epoch_s (k steps)": history["epoch_time"][1],
           "per_step_s": per_step,
           "per_step_normalize_s": float(np.mean(norm[k:])), "per_step_canonicalize_s": float(np.mean(canon[k:])),
           "per_step_grad_and_adam_s": per_step - float(np.mean(norm[k:])) - float(np.mean(canon[k:])),
           "estimated_train_pass_s": per_step * 364 / 32,
           "compiles": len(clock.compiles), "compile_s": sum(d for _, d in clock.compiles),
           "loss": history["loss"], "peak_rss_mb": _peak_rss_mb(),
           "versions": {"tn4ml": _dist_version("tn4ml"), "jax": jax.__version__}}
    print("RESULT " + json.dumps(out), flush=True)


def _dist_version(name):
    from importlib.metadata import version
    try:
        return version(name)
    except Exception:
        return None


def _peak_rss_mb():
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def summarize(run):
    later = [r["wall_s"] for r in run["epochs"][1:]]
    tv = [r["train_pass_s"] + r["val_loss_pass_s"] for r in run["epochs"][1:]]
    tr = [r["train_pass_s"] for r in run["epochs"][1:]]
    first = run["epochs"][0] if run["epochs"] else None
    s = {
        "first_epoch_wall_s": first["wall_s"] if first else None,
        "first_epoch_train_plus_val_loss_s": first["train_pass_s"] + first["val_loss_pass_s"] if first else None,
        "timed_epochs": len(later),
    }
    def ms(v):
        return (statistics.mean(v), statistics.stdev(v) if len(v) > 1 else 0.0) if v else (None, None)
    s["epoch_wall_mean_s"], s["epoch_wall_sd_s"] = ms(later)
    s["train_plus_val_loss_mean_s"], s["train_plus_val_loss_sd_s"] = ms(tv)
    s["train_pass_mean_s"], s["train_pass_sd_s"] = ms(tr)
    s["val_acc_pass_mean_s"] = ms([r["val_acc_pass_s"] for r in run["epochs"][1:]])[0]
    s["train_samples_per_s"] = 364 / s["train_pass_mean_s"] if tr else None
    s["cpu_per_wall"] = (sum(r["cpu_s"] for r in run["epochs"][1:]) / sum(later)) if later else None
    # process CPU seconds (user + system) are less sensitive than wall time to other load on the machine
    s["first_epoch_cpu_s"] = first["cpu_s"] if first else None
    s["epoch_cpu_mean_s"], s["epoch_cpu_sd_s"] = ms([r["cpu_s"] for r in run["epochs"][1:]])
    s["compiles_per_later_epoch"] = ms([r["compiles"] for r in run["epochs"][1:]])[0]
    return s


def main():
    args = parse_args()
    if args.worker is not None:
        pin_threads(args.threads)
        worker(args)
        return
    dims = [int(d) for d in args.bond_dims.split(",") if d]
    jobs = ([(d, "full") for d in args.full_train] + [(d, "timing") for d in dims]
            + [(int(d), "steps") for d in args.step_timing.split(",") if d])
    passthrough = ["--threads", str(args.threads), "--embedding", args.embedding, "--epochs", str(args.epochs),
                   "--max-epochs", str(args.max_epochs), "--patience", str(args.patience), "--lr", str(args.lr),
                   "--init-std", str(args.init_std), "--loss", args.loss, "--seed", str(args.seed),
                   "--epoch-budget", str(args.epoch_budget), "--steps", str(args.steps)]
    results = {
        "script": "ci/frameworks/tn4ml_breast_cancer.py",
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "settings": vars(args) | {"worker": None, "worker_mode": None},
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor(), "python": platform.python_version(),
                    "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE")},
        "versions": {name: _dist_version(name) for name in
                     ("tn4ml", "jax", "jaxlib", "optax", "quimb", "autoray", "cotengra", "opt_einsum",
                      "scikit-learn", "numpy", "scipy", "pandas", "matplotlib")},
        "runs": [],
    }

    def save():
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1)

    for D, mode in jobs:
        load0 = os.getloadavg()[0]
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", str(D), "--worker-mode", mode] + passthrough
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
        lines = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")]
        if proc.returncode != 0 or not lines:
            run = {"bond_dim": D, "mode": mode, "error": f"exit {proc.returncode}", "stdout_tail": proc.stdout[-2000:]}
            print(f"D={D} {mode}: FAILED (exit {proc.returncode})", flush=True)
        elif lines and json.loads(lines[-1][len("RESULT "):])["mode"] == "steps":
            run = json.loads(lines[-1][len("RESULT "):])
            run["loadavg_1min_before_after"] = [load0, os.getloadavg()[0]]
            print(f"D={D:4d} steps: {run['per_step_s']:.2f} s per step of 32 (gradient + Adam "
                  f"{run['per_step_grad_and_adam_s']:.2f}, normalize {run['per_step_normalize_s']:.2f}, canonicalize "
                  f"{run['per_step_canonicalize_s']:.2f}); training pass of 364 ~ {run['estimated_train_pass_s']:.0f} s; "
                  f"first epoch (compile + {run['steps_per_epoch']} steps) {run['first_epoch_s (compile + k steps)']:.0f} s", flush=True)
        else:
            run = json.loads(lines[-1][len("RESULT "):])
            run["summary"] = summarize(run)
            run["loadavg_1min_before_after"] = [load0, os.getloadavg()[0]]
            s = run["summary"]
            fmt = lambda v, p=3: "-" if v is None else f"{v:.{p}f}"
            line = (f"D={D:4d} {mode}: first epoch {fmt(s['first_epoch_wall_s'], 2)} s; later epochs "
                    f"{fmt(s['epoch_wall_mean_s'])} +- {fmt(s['epoch_wall_sd_s'])} s (n={s['timed_epochs']}; "
                    f"train {fmt(s['train_pass_mean_s'])} + val loss "
                    f"{fmt(s['train_plus_val_loss_mean_s'] and s['train_plus_val_loss_mean_s'] - s['train_pass_mean_s'])}"
                    f" + val acc {fmt(s['val_acc_pass_mean_s'])}), {fmt(s['train_samples_per_s'], 1)} train samples/s, "
                    f"cpu {fmt(s['epoch_cpu_mean_s'], 2)} s/epoch (cpu/wall {fmt(s['cpu_per_wall'], 2)})")
            if mode == "full":
                line += (f"; test accuracy {run['test_accuracy']:.4f} ({run['test_correct']}/114) after "
                         f"{run['epochs_run']} epochs (best val loss at epoch {run['best_epoch']})")
            print(line, flush=True)
        results["runs"].append(run)
        save()
    results["finished_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    save()


if __name__ == "__main__":
    main()
