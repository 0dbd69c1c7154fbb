"""The exact rows of tn4ml's breast-cancer split, and the algorithm that picks them, written out in
plain Python so that the Swift side (suite `TN4ML`) can reproduce it bit for bit.

tn4ml's example (docs/source/examples/supervised/breast_class.py) splits the 569-row table twice:

    X_train, X_test, y_train, y_test   = train_test_split(X, y, test_size=0.2, random_state=42)
    X_train, X_valid, y_train, y_valid = train_test_split(X_train, y_train, test_size=0.2, random_state=42)

What scikit-learn does there (read in sklearn/model_selection/_split.py, scikit-learn 1.9.1; the same
since 0.2x):

1. `_validate_shuffle_split(n, test_size=0.2, train_size=None)`:
   n_test = ceil(0.2 * n) computed in float64, n_train = n - n_test.
   n = 569: 0.2 * 569 = 113.80000000000001 -> n_test = 114, n_train = 455.
   n = 455: 0.2 * 455 rounds to exactly 91.0 in float64 -> n_test = 91, n_train = 364.
2. `ShuffleSplit(test_size=n_test, train_size=n_train, random_state=42)`, first split only:
   rng = np.random.RandomState(42)             (a fresh generator for each of the two calls)
   permutation = rng.permutation(n)
   test  = permutation[:n_test]
   train = permutation[n_test:n_test + n_train]
3. `train_test_split` returns `_safe_indexing(a, train), _safe_indexing(a, test)` for each array,
   i.e. `X[train]`, `X[test]`: the rows in the ORDER OF THE PERMUTATION (not sorted).
   The second call permutes positions 0..454 of the first call's X_train, so in table rows:
   valid = train1[perm455[:91]], train = train1[perm455[91:]].

`np.random.RandomState(42)` (numpy/random/mtrand.pyx, _mt19937.pyx, src/mt19937, src/distributions;
numpy 2.4.6, unchanged in substance since numpy 1.17's legacy path):

* MT19937 seeded by `mt19937_seed(state, 42)`, which is Matsumoto-Nishimura `init_genrand(42)`:
  mt[0] = 42; mt[i] = (1812433253 * (mt[i-1] ^ (mt[i-1] >> 30)) + i) mod 2^32 for i = 1..623;
  pos = 624, so the first draw regenerates the whole block (the standard "twist").
  `next_uint32` is the standard tempered genrand_int32 output.
* `permutation(n)` = `arr = np.arange(n); shuffle(arr); return arr`.
* `shuffle` on a 1-d ndarray runs `_shuffle_raw`: Fisher-Yates from the END:
      for i in n-1, n-2, ..., 1:
          j = random_interval(i)          # uniform in [0, i], inclusive
          swap arr[i], arr[j]
* `random_interval(max)` (distributions.c; the same bounded draw as the old `rk_interval`):
      if max == 0: return 0               # never reached in the loop above (i >= 1)
      mask = max with every bit below its highest set bit turned on
             (mask |= mask>>1; >>2; >>4; >>8; >>16; >>32)
      if max <= 0xffffffff:  repeat value = next_uint32() & mask  until value <= max
      else:                  the same with next_uint64() (never reached for n < 2^32)
  Masked rejection sampling on raw 32-bit draws: each rejected draw consumes one MT output.
  It is NOT Lemire's multiply-shift (that is `Generator.permutation`/`integers`, a different
  stream) and NOT `randint`'s path.

Run with any Python 3 (no numpy needed) to print the index lists as JSON. `--check` (needs numpy
and scikit-learn, e.g. the venv /work/venv-tn4ml) compares this pure-Python implementation with
numpy's RandomState for n = 10, 455, 569 and with sklearn's train_test_split on the actual table,
and `--golden PATH` writes the golden values the Swift tests use.

    python3 ci/frameworks/sklearn_split_indices.py [--check] [--golden ci/frameworks/sklearn_split_golden.json]
"""
import argparse
import json
import math
import os
import sys


class MT19937:
    """Mersenne Twister MT19937, seeded as numpy's legacy `RandomState(seed)` (init_genrand)."""

    N, M = 624, 397

    def __init__(self, seed):
        if not 0 <= seed <= 0xFFFFFFFF:
            raise ValueError("seed must be in [0, 2**32 - 1]")
        mt = [0] * self.N
        mt[0] = seed
        for i in range(1, self.N):
            mt[i] = (1812433253 * (mt[i - 1] ^ (mt[i - 1] >> 30)) + i) & 0xFFFFFFFF
        self.mt, self.pos = mt, self.N
        self.draws = 0  # 32-bit outputs consumed so far (rejected draws included)

    def _twist(self):
        mt, n, m = self.mt, self.N, self.M
        for k in range(n):
            y = (mt[k] & 0x80000000) | (mt[(k + 1) % n] & 0x7FFFFFFF)
            mt[k] = mt[(k + m) % n] ^ (y >> 1) ^ (0x9908B0DF if y & 1 else 0)
        self.pos = 0

    def next_uint32(self):
        """genrand_int32: one tempered 32-bit output."""
        if self.pos >= self.N:
            self._twist()
        self.draws += 1
        y = self.mt[self.pos]
        self.pos += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C5680
        y ^= (y << 15) & 0xEFC60000
        y ^= y >> 18
        return y & 0xFFFFFFFF

    def next_uint64(self):
        """numpy's mt19937_next64: high word first."""
        return (self.next_uint32() << 32) | self.next_uint32()

    def interval(self, max_value):
        """numpy's legacy `random_interval(max)`: uniform in [0, max] by masked rejection."""
        if max_value == 0:
            return 0
        mask = max_value
        for shift in (1, 2, 4, 8, 16, 32):
            mask |= mask >> shift
        draw = self.next_uint32 if max_value <= 0xFFFFFFFF else self.next_uint64
        while True:
            value = draw() & mask
            if value <= max_value:
                return value

    def permutation(self, n):
        """`RandomState.permutation(n)`: Fisher-Yates over arange(n), i from n-1 down to 1."""
        arr = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.interval(i)
            arr[i], arr[j] = arr[j], arr[i]
        return arr


def shuffle_split(n, test_size=0.2, seed=42):
    """(train, test) positions of `train_test_split(range(n), test_size=test_size, random_state=seed)`."""
    n_test = math.ceil(test_size * n)
    n_train = n - n_test
    perm = MT19937(seed).permutation(n)
    return perm[n_test:n_test + n_train], perm[:n_test]


def tn4ml_split(n=569):
    """Rows (into the n-row table, file order) of tn4ml's train / valid / test sets."""
    train1, test = shuffle_split(n)
    inner_train, inner_valid = shuffle_split(len(train1))
    return [train1[p] for p in inner_train], [train1[p] for p in inner_valid], test


def load_table():
    """The breast-cancer CSV `tnbench data fetch` provisions (sklearn's file: header line
    `569,30,malignant,benign`, then 30 features and the target, 0 = malignant)."""
    root = os.environ.get("TNBENCH_DATA_DIR") or os.path.expanduser("~/.cache/tnbench/data")
    path = os.path.join(root, "breast-cancer", "breast_cancer.csv")
    if not os.path.exists(path):
        raise SystemExit(f"{path} not found: run `tnbench data fetch` first")
    with open(path) as f:
        rows = [line.strip().split(",") for line in f if line.strip()]
    header, body = rows[0], rows[1:]
    assert int(header[0]) == len(body) == 569 and int(header[1]) == 30, header
    return [[float(v) for v in r[:30]] for r in body], [int(r[30]) for r in body]


def check():
    """Compare with numpy's RandomState and sklearn's train_test_split; exit 1 on a mismatch."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    failures = 0
    rs = np.random.RandomState(42)
    raw = [int(v) for v in (rs._bit_generator.random_raw() for _ in range(10))]
    ours = MT19937(42)
    if raw != [ours.next_uint32() for _ in range(10)]:
        print("MISMATCH: first 10 MT19937 outputs"); failures += 1
    for n in (1, 2, 10, 455, 569, 1000, 70000):
        if np.random.RandomState(42).permutation(n).tolist() != MT19937(42).permutation(n):
            print(f"MISMATCH: permutation({n})"); failures += 1
        else:
            print(f"permutation({n}) matches numpy")
    x, y = load_table()
    X = np.asarray(x)
    rows = np.arange(len(x))
    r_train, r_test = train_test_split(rows, test_size=0.2, random_state=42)
    r_train, r_valid = train_test_split(r_train, test_size=0.2, random_state=42)
    train, valid, test = tn4ml_split(len(x))
    for name, a, b in (("train", r_train, train), ("valid", r_valid, valid), ("test", r_test, test)):
        if a.tolist() != b:
            print(f"MISMATCH: {name} rows"); failures += 1
        else:
            print(f"{name}: {len(b)} rows match sklearn")
    # the same split applied to the min-max scaled table, as tn4ml's script does it
    Xn = (X - X.min(0)) / (X.max(0) - X.min(0))
    Xa, Xt = train_test_split(Xn, test_size=0.2, random_state=42)
    Xa, Xv = train_test_split(Xa, test_size=0.2, random_state=42)
    if not (np.array_equal(Xa, Xn[train]) and np.array_equal(Xv, Xn[valid]) and np.array_equal(Xt, Xn[test])):
        print("MISMATCH: scaled feature rows"); failures += 1
    print("check:", "ok" if failures == 0 else f"{failures} mismatches")
    return failures == 0


def draws(n):
    mt = MT19937(42)
    mt.permutation(n)
    return mt.draws


def golden():
    mt = MT19937(42)
    train, valid, test = tn4ml_split(569)
    _, y = load_table()
    # tn4ml labels: M -> 1, B -> 0, i.e. 1 - sklearn's target (0 = malignant)
    count = lambda rows: {"malignant": sum(1 for r in rows if y[r] == 0), "benign": sum(1 for r in rows if y[r] == 1)}
    return {
        "description": "Golden values of numpy's legacy RandomState(42) and of tn4ml's breast-cancer split "
                       "(ci/frameworks/sklearn_split_indices.py explains the algorithm). Row indices are 0-based "
                       "into the 569-row table in file order, listed in the order train_test_split returns them.",
        "mt19937_seed42_first10_uint32": [mt.next_uint32() for _ in range(10)],
        "permutation_10": MT19937(42).permutation(10),
        "permutation_569_first20": MT19937(42).permutation(569)[:20],
        "permutation_455_first20": MT19937(42).permutation(455)[:20],
        "uint32_draws_consumed": {"permutation_10": draws(10), "permutation_455": draws(455),
                                  "permutation_569": draws(569)},
        "sizes": {"train": len(train), "valid": len(valid), "test": len(test)},
        "class_counts": {"train": count(train), "valid": count(valid), "test": count(test)},
        "train": train,
        "valid": valid,
        "test": test,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with numpy and scikit-learn")
    parser.add_argument("--golden", metavar="PATH", help="write the golden values as JSON")
    args = parser.parse_args()
    if args.check and not check():
        sys.exit(1)
    if args.golden:
        values = golden()
        with open(args.golden, "w") as f:  # one key a line
            f.write("{\n" + ",\n".join(f"  {json.dumps(k)}: {json.dumps(v, separators=(',', ':'))}"
                                      for k, v in values.items()) + "\n}\n")
        print(f"wrote {args.golden}")
    if not args.check and not args.golden:
        train, valid, test = tn4ml_split(569)
        print(json.dumps({"train": train, "valid": valid, "test": test}))


if __name__ == "__main__":
    main()
