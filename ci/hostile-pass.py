#!/usr/bin/env python3
"""The hostile pass: what a careless user, a full disk, a flipped bit and a flaky cluster do to tnbench.

    python3 ci/hostile-pass.py [--tnbench PATH] [--work DIR] [--keep]

Runs a few hundred bad inputs and faults against a built `tnbench` (default: the release build),
from the repository root (the committed Baselines/ are the good files it mutates), and sorts every
outcome into one of:

  clear     the expected refusal: a non-zero documented exit status and exactly one error line
  ok        a good input accepted (exit 0, or the documented status it should have)
  crash     killed by a signal (a Swift trap, a segfault, an abort), or an internal error (status 70:
            an error no input explains reached the tool, a bug)
  hang      no answer within the case's time limit
  unclear   refused, but not in one clear line (a raw Swift/Foundation error, several error lines)
  lost      data lost or corrupted (a job missing from a plan, a half-written record in place,
            a temporary file left behind)
  silent    a wrong result passed without a word (a corrupt input used, a wrong exit status)
  skipped   could not be tried here (with the reason)

It prints one line per case that is not clear/ok/skipped, a table of counts, and a closing line
`N passed, M failed, K skipped`. Exit status 1 when any case crashed, hung, was unclear, lost data
or passed silently; 0 otherwise. Standard library only.
"""
import argparse
import hashlib
import glob
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

DOCUMENTED_STATUSES = {1, 2, 3, 4, 5, 130}
# ExitStatus.internalError: documented too, but always a bug, never an acceptable refusal.
INTERNAL_ERROR = 70
# Text that betrays an error nobody turned into a sentence.
RAW_ERROR = re.compile(
    r"Fatal error|EncodingError|DecodingError|dataCorrupted\(|keyNotFound\(|typeMismatch\(|valueNotFound\("
    r"|NSCocoaErrorDomain|Error Domain=|CocoaError|POSIXError|HDF5-DIAG|Swift runtime failure|Stack dump"
    r"|failed to allocate|Illegal instruction|Segmentation fault")


class Pass:
    def __init__(self, tnbench, work, repo):
        self.tnbench = tnbench
        self.work = work
        self.repo = repo
        self.counts = {k: 0 for k in ["clear", "ok", "crash", "hang", "unclear", "lost", "silent", "skipped"]}
        self.findings = []
        self.tried = 0
        self.show_errors = False

    # -- running and judging -------------------------------------------------------------------

    def invoke(self, args, timeout=120, cwd=None, env=None):
        """Runs tnbench; returns (status or None on time-out, stdout, stderr). A signal is -N."""
        try:
            p = subprocess.run([self.tnbench] + args, cwd=cwd or self.repo, capture_output=True, text=True,
                               timeout=timeout, env=env, errors="replace", stdin=subprocess.DEVNULL)
            return p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as e:
            return None, e.stdout or "", e.stderr or ""

    def note(self, outcome, name, detail=""):
        self.tried += 1
        self.counts[outcome] += 1
        if outcome not in ("clear", "ok", "skipped"):
            self.findings.append(f"{outcome:8} {name}: {detail}"[:400])
        elif outcome == "skipped":
            self.findings.append(f"skipped  {name}: {detail}")

    @staticmethod
    def error_lines(stderr):
        return [line for line in stderr.splitlines() if re.search(r"\berror\b", line, re.IGNORECASE)]

    def classify(self, name, status, out, err, expect="error", statuses=None):
        """expect: 'error' (a clear refusal), 'ok' (exit 0 or one of `statuses`), 'any' (no crash/hang)."""
        if status is None:
            return self.note("hang", name, "no answer within the time limit")
        if status < 0 or (status >= 128 and status != 130):
            sig = -status if status < 0 else status - 128
            return self.note("crash", name, f"signal {sig}; stderr: {err.strip()[-200:]}")
        if status == INTERNAL_ERROR:
            return self.note("crash", name, f"internal error (status {status}, a bug): {err.strip()[-200:]}")
        if RAW_ERROR.search(err) or RAW_ERROR.search(out):
            match = (RAW_ERROR.search(err) or RAW_ERROR.search(out)).group(0)
            return self.note("unclear", name, f"raw error text '{match}' (status {status}): {err.strip()[:200]}")
        if expect == "ok":
            allowed = statuses or {0}
            if status in allowed:
                return self.note("ok", name)
            return self.note("silent" if status == 0 else "unclear", name,
                             f"status {status}, expected {sorted(allowed)}: {err.strip()[:200]}")
        if expect == "any":
            return self.note("ok" if status == 0 else ("clear" if len(self.error_lines(err)) <= 1 else "unclear"), name,
                             f"status {status}: {err.strip()[:200]}")
        # expect == "error"
        if status == 0:
            return self.note("silent", name, "accepted (exit 0) where a refusal was expected: " + (err or out).strip()[:200])
        if status not in DOCUMENTED_STATUSES:
            return self.note("unclear", name, f"undocumented status {status}: {err.strip()[:200]}")
        lines = self.error_lines(err)
        if len(lines) != 1:
            return self.note("unclear", name, f"{len(lines)} error lines (status {status}): {err.strip()[:300]}")
        if self.show_errors:
            print(f"clear    {name}: [{status}] {lines[0].strip()}")
        return self.note("clear", name)

    def case(self, name, args, expect="error", statuses=None, timeout=120, cwd=None, env=None):
        status, out, err = self.invoke(args, timeout=timeout, cwd=cwd, env=env)
        self.classify(name, status, out, err, expect=expect, statuses=statuses)
        return status, out, err

    # -- fixtures ------------------------------------------------------------------------------

    def path(self, *parts):
        return os.path.join(self.work, *parts)

    def smoke_run(self, name, extra=()):
        """A small good run: TNNRegression's smoke tier at D = 4 (8 jobs, under a second)."""
        out = self.path(name)
        status, _, err = self.invoke(["run", "TNNRegression", "--tier", "smoke", "--config", "D=4", "--out", out, *extra])
        if status != 0:
            raise SystemExit(f"hostile-pass: the good smoke run failed (status {status}): {err.strip()[-500:]}")
        return out

    def copy_run(self, source, name):
        target = self.path(name)
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target, symlinks=True)
        return target

    def record_files(self, run):
        found = []
        for root, _, files in os.walk(os.path.join(run, "jobs")):
            found += [os.path.join(root, f) for f in files if f.endswith(".h5")]
        return sorted(found)

    def leftovers(self, run):
        left = []
        for root, _, files in os.walk(run):
            left += [os.path.join(root, f) for f in files if ".tmp-" in f or ".partial" in f]
        return left

    # -- the groups of cases -------------------------------------------------------------------

    def command_line(self, run):
        bad_values = ["", "=", "D", "D=", "=4", "D=abc", "D=4.5", "D=nan", "D=inf", "D=-inf", "D=1e999",
                      "D=-1", "D=0", "D=401", "D=99999999999999999999", "nosuchkey=1", "D=4=5", "D= 4"]
        for value in bad_values:
            self.case(f"run --config '{value}'", ["plan", "TNNRegression", "--tier", "smoke", "--config", value,
                                                 "--out", self.path("cfg", value.replace("/", "_") or "empty")])
        # An optional axis (StoudenmireMPS's `pooling`, `solver`): values it does not have, and a
        # suite that does not have it.
        for suite, value in [("StoudenmireMPS", "pooling=garbage"), ("StoudenmireMPS", "solver="), ("StoudenmireMPS", "solver=1"),
                             ("StoudenmireMPS", "pooling=TNML_UINT8"), ("TNNRegression", "pooling=tnml_uint8")]:
            self.case(f"plan {suite} --config '{value}'", ["plan", suite, "--tier", "smoke", "--config", value,
                                                          "--out", self.path("axis", re.sub(r"[^A-Za-z0-9]", "_", value))])
        for value in ["epochs=nan", "epochs=inf", "epochs=-1", "epochs=0", "epochs=9223372036854775807",
                      "train_count=9223372036854775807", "train_count=-5", "nosuch=1", "epochs=", "=", "epochs=1.5",
                      "epochs=abc", "sweeps=1e400"]:
            self.case(f"run --set '{value}'", ["run", "TNNRegression", "--tier", "smoke", "--config", "D=4", "--set", value,
                                              "--out", self.path("set", re.sub(r"[^A-Za-z0-9]", "_", value))], timeout=60)
        for seeds in ["0", "-1", "abc", "9223372036854775807", "100000000", "1.5", ""]:
            self.case(f"run --seeds '{seeds}'", ["plan", "TNNRegression", "--tier", "smoke", "--seeds", seeds,
                                                "--out", self.path("seeds", re.sub(r"[^A-Za-z0-9]", "_", seeds) or "empty")], timeout=60)
        for jobs in ["0", "-1", "abc", "100000", "1000"]:
            self.case(f"run --jobs '{jobs}'", ["run", "TNNRegression", "--tier", "smoke", "--config", "D=4", "--jobs", jobs,
                                              "--out", self.path("jobs", re.sub(r"[^A-Za-z0-9]", "_", jobs))], timeout=60)
        for value in ["", ",", "nosuch", "../numpy", "NUMPY", "numpy", "native,nosuch", " "]:
            self.case(f"run --implementation '{value}'", ["plan", "TNNRegression", "--tier", "smoke", "--implementation", value,
                                                         "--out", self.path("impl", re.sub(r"[^A-Za-z0-9]", "_", value) or "empty")])
        for out in ["", " ", "/", "//", "/.", "/proc/hostile", "/dev/null", "/dev/null/x"]:
            self.case(f"run --out '{out}'", ["plan", "TNNRegression", "--tier", "smoke", "--out", out])
        for tier in ["", "nosuch", "paper2"]:
            self.case(f"run --tier '{tier}'", ["plan", "TNNRegression", "--tier", tier, "--out", self.path("tier")])
        for suite in ["", "NoSuchSuite", "all,", "../etc"]:
            self.case(f"run suite '{suite}'", ["plan", suite, "--tier", "smoke", "--out", self.path("suite")])
        # Names are case-insensitive and numbers are Swift's (0x10 is 16): accepted spellings.
        for n, args in enumerate([["--tier", "SMOKE"], ["--tier", "smoke", "--config", "D=0x10"], ["--tier", "smoke", "--config", "D=4.0"]]):
            self.case(f"plan TNNRegression {' '.join(args)}", ["plan", "TNNRegression", *args, "--out", self.path(f"spelling-{n}")],
                      expect="ok")
        self.case("plan tnnregression (lower case)", ["plan", "tnnregression", "--tier", "smoke", "--out", self.path("suite-lower")],
                  expect="ok")
        for index in ["-1", "8", "99999999999999999999", "abc", "9223372036854775807", ""]:
            self.case(f"run-job index '{index}'", ["run-job", run, index])
        os.makedirs(self.path("empty-dir"), exist_ok=True)
        for directory in ["", "/nonexistent", "/etc", "/dev/null", self.path("empty-dir")]:
            report = self.path("report-of-bad-dir")
            for command in (["status", directory], ["commands", directory], ["compare", directory],
                            ["report", directory, "--out", report], ["figures", directory, "--out", report],
                            ["run-job", directory, "0"], ["diff", run, directory]):
                self.case(f"{command[0]} on '{directory}'", command)
        for tier in ["nosuch", ""]:
            self.case(f"compare --tier '{tier}'", ["compare", run, "--tier", tier])
        self.case("compare --baselines missing", ["compare", run, "--baselines", self.path("no-baselines")],
                  expect="ok", statuses={0, 4})
        self.case("report --out /proc", ["report", run, "--out", "/proc/hostile-report"])
        self.case("report --out a file", ["report", run, "--out", "/dev/null"])
        for args in (["kernels", "--threads", "0"], ["kernels", "--threads", "abc"], ["kernels", "--threads", ""],
                     ["kernels", "--precision", "float16"], ["kernels", "--threads", "-1"], ["kernels", "--threads", "100000"]):
            self.case(" ".join(args), args, timeout=60)
        for args in (["data", "fetch", "cifar10"], ["data", "verify", "--data-dir", "/nonexistent"],
                     ["data", "import-idx", "/nonexistent"], ["data", "info", "--data-dir", "/dev/null"]):
            self.case(" ".join(args), args, expect="error" if args[1] != "info" else "any", timeout=60)
        for args in (["ab", "no-such-revision-xyz", "--suite", "TNNRegression", "--tier", "smoke"],
                     ["ab", "HEAD", "--suite", "NoSuchSuite", "--tier", "smoke"],
                     ["ab", "HEAD", "--suite", "TNNRegression", "--tier", "nosuch"],
                     ["ab", "HEAD", "--suite", "TNNRegression", "--tier", "smoke", "--config", "nosuch=1"],
                     ["ab", "--suite", "MPONet", "--tier", "smoke", "--implementation", "numpy"],
                     ["ab", "HEAD", "--suite", "MPONet", "--tier", "smoke", "--implementation", "numpy", "--head-requirements", "numpy==2.3.5"],
                     ["ab", "--suite", "MPONet", "--tier", "smoke", "--head-requirements", "numpy==2.3.5"],
                     ["ab", "--suite", "MPONet", "--tier", "smoke", "--implementation", "numpy", "--head-requirements", "numpy>=2"],
                     ["ab", "--suite", "MPONet", "--tier", "smoke", "--implementation", "nosuch", "--head-requirements", "numpy==2.3.5"],
                     ["ab", "--suite", "TNNRegression", "--tier", "smoke", "--implementation", "numpy", "--head-requirements", "numpy==2.3.5"]):
            # Each must be refused before any release build: 60 s is far below a build's minutes.
            self.case(" ".join(args), args + ["--out", self.path("ab")], timeout=60)
        for args in (["history", "add", "/nonexistent"], ["history", "draw", "--tier", "nosuch"],
                     ["baseline", "update", "/nonexistent"], ["submit", "/nonexistent", "--dry-run"],
                     ["submit", run, "--dry-run", "--cpus", "0"], ["submit", run, "--dry-run", "--memory", "-1"],
                     ["submit", run, "--dry-run", "--time", "abc"]):
            self.case(" ".join(args), args, timeout=60)

    def plan_files(self, run):
        plan_path = os.path.join(run, "plan.json")
        with open(plan_path) as f:
            good = json.load(f)
        mutations = []

        def mutate(name, fn):
            doc = json.loads(json.dumps(good))
            try:
                fn(doc)
            except (KeyError, IndexError, TypeError) as e:
                self.note("skipped", f"plan.json {name}", f"plan layout differs ({e!r})")
                return
            mutations.append((name, json.dumps(doc)))

        jobs_key = "jobs" if "jobs" in good else None
        mutate("seed 2^63-1", lambda d: d[jobs_key][0].__setitem__("seed", 9223372036854775807))
        mutate("seed 2^63", lambda d: d[jobs_key][0].__setitem__("seed", 9223372036854775808))
        mutate("seed -1", lambda d: d[jobs_key][0].__setitem__("seed", -1))
        mutate("seed 1e300", lambda d: d[jobs_key][0].__setitem__("seed", 1e300))
        mutate("seed string", lambda d: d[jobs_key][0].__setitem__("seed", "zero"))
        mutate("duplicate index", lambda d: d[jobs_key][1].__setitem__("index", d[jobs_key][0]["index"]))
        mutate("duplicate job", lambda d: d[jobs_key].append(dict(d[jobs_key][0], index=len(d[jobs_key]))))
        mutate("negative index", lambda d: d[jobs_key][0].__setitem__("index", -3))
        mutate("format_version 99", lambda d: d.__setitem__("format_version", 99))
        mutate("no jobs key", lambda d: d.pop(jobs_key))
        mutate("jobs not a list", lambda d: d.__setitem__(jobs_key, {"a": 1}))
        mutate("unknown suite", lambda d: d[jobs_key][0].__setitem__("suite", "NoSuchSuite"))
        mutate("empty settings key", lambda d: d[jobs_key][0]["settings"].__setitem__("", 1))
        mutate("override differs from setting", lambda d: d[jobs_key][0].__setitem__("overrides", {"train_count": 999}))
        mutate("zero CPUs", lambda d: d[jobs_key][0]["resources"].__setitem__("cpus", 0))
        mutate("wrong tier", lambda d: d.__setitem__("tier", "paper") if "tier" in d else d.__setitem__("tier", "paper"))
        raw = [("empty file", ""), ("truncated", json.dumps(good)[: len(json.dumps(good)) // 2]), ("binary", "\x00\xff" * 64),
               ("null", "null"), ("a list", "[]")]
        for name, text in mutations + raw:
            directory = self.copy_run(run, "plan-" + re.sub(r"[^A-Za-z0-9]", "_", name))
            with open(os.path.join(directory, "plan.json"), "w") as f:
                f.write(text)
            for command in (["status", directory], ["commands", directory], ["run-job", directory, "0"],
                            ["run", "TNNRegression", "--tier", "smoke", "--config", "D=4", "--out", directory]):
                self.case(f"plan.json {name}: {command[0]}", command, timeout=60)

    def run_manifest(self, run):
        for name, text in [("empty", ""), ("garbage", "{{{"), ("tier unknown", '{"schemaVersion":2,"name":"x","tier":"nosuch","created":"x"}'),
                           ("schema 99", '{"schemaVersion":99,"name":"x","tier":"smoke","created":"x"}'),
                           ("other tier", '{"schemaVersion":2,"name":"x","tier":"paper","created":"x"}')]:
            directory = self.copy_run(run, "manifest-" + re.sub(r"[^A-Za-z0-9]", "_", name))
            with open(os.path.join(directory, "run.json"), "w") as f:
                f.write(text)
            for command in (["compare", directory], ["status", directory],
                            ["run", "TNNRegression", "--tier", "smoke", "--config", "D=4", "--out", directory]):
                self.case(f"run.json {name}: {command[0]}", command)

    def reference_files(self, run):
        base = self.path("baselines-good")
        shutil.rmtree(base, ignore_errors=True)
        shutil.copytree(os.path.join(self.repo, "Baselines"), base)
        reference = os.path.join(base, "reference", "ci", "TNNRegression.json")
        with open(reference) as f:
            good = json.load(f)

        def variant(name, fn, expect="error", statuses=None):
            directory = self.path("baselines-" + re.sub(r"[^A-Za-z0-9]", "_", name))
            shutil.rmtree(directory, ignore_errors=True)
            shutil.copytree(base, directory)
            doc = json.loads(json.dumps(good))
            text = fn(doc)
            with open(os.path.join(directory, "reference", "ci", "TNNRegression.json"), "w") as f:
                f.write(text if isinstance(text, str) else json.dumps(doc))
            for command in (["compare", run, "--tier", "ci"], ["compare", run, "--tier", "ci", "--json"],
                            ["report", run, "--tier", "ci", "--out", self.path("report-" + name.replace(" ", "_"))]):
                self.case(f"reference {name}: {' '.join(command[:1] + command[3:4])}", command + ["--baselines", directory],
                          expect=expect, statuses=statuses)

        def set_values(value):
            def fn(doc):
                for entry in doc["entries"]:
                    entry["values"] = [value for _ in entry["values"]]
            return fn
        # Large but finite values: a valid file; the judgement must be defined (0 or 1), never a trap.
        for value in [1e81, 1e200, 1e308, -1e308, 5e-324, 0.0]:
            variant(f"values {value}", set_values(value), expect="ok", statuses={0, 1})
        variant("schema 99", lambda d: d.__setitem__("schema_version", 99))
        variant("unknown metric", lambda d: d["entries"][0].__setitem__("metric", "test_acuracy"))
        variant("empty values", lambda d: (d["entries"][0].__setitem__("values", []), d["entries"][0].__setitem__("seeds", [])))
        variant("seeds mismatch", lambda d: d["entries"][0].__setitem__("seeds", d["entries"][0]["seeds"] + [99]))
        variant("duplicate entry", lambda d: d["entries"].append(d["entries"][0]))
        variant("wrong tier", lambda d: d.__setitem__("tier", "paper"))
        variant("wrong suite", lambda d: d.__setitem__("suite", "TN4ML"))
        variant("value string", lambda d: d["entries"][0].__setitem__("values", ["x"]))
        variant("NaN literal", lambda d: json.dumps(d).replace(str(d["entries"][0]["values"][0]), "NaN", 1))
        variant("truncated", lambda d: json.dumps(d)[:200])
        jobs = lambda seconds, threads=1: [{"configuration": good["entries"][0]["configuration"], "seeds": [0, 1],
                                            "seconds": seconds, "threads": threads, "peak_resident_bytes": []}]
        variant("jobs one time for two seeds", lambda d: d.__setitem__("jobs", jobs([1.0])))
        variant("jobs negative time", lambda d: d.__setitem__("jobs", jobs([1.0, -2.0])))
        variant("jobs zero threads", lambda d: d.__setitem__("jobs", jobs([1.0, 2.0], threads=0)))
        variant("jobs not a list", lambda d: d.__setitem__("jobs", "fast"))
        variant("jobs valid", lambda d: d.__setitem__("jobs", jobs([1.0, 2.0])), expect="ok", statuses={0, 1, 3, 4})
        variant("empty file", lambda d: "")

        paper = os.path.join(base, "TNNRegression.json")
        with open(paper) as f:
            paper_text = f.read()
        for name, text in [("garbage", "{"), ("empty", ""), ("null", "null")]:
            directory = self.path("paper-" + name)
            shutil.rmtree(directory, ignore_errors=True)
            shutil.copytree(base, directory)
            with open(os.path.join(directory, "TNNRegression.json"), "w") as f:
                f.write(text)
            self.case(f"paper baselines {name}: compare", ["compare", run, "--baselines", directory])
        del paper_text

    def record_bytes(self, run, flips):
        """Single-byte flips across one record: each must be caught (compare reports the corrupt
        record; run reruns it and the numbers come back identical), never used and never a crash."""
        records = self.record_files(run)
        target_rel = os.path.relpath(records[0], run)
        size = os.path.getsize(records[0])
        rng = random.Random(20261206)
        positions = sorted(set([0, 1, 7, 8, size // 2, size - 1] + [rng.randrange(size) for _ in range(flips)]))
        for position in positions:
            directory = self.copy_run(run, "flip")
            path = os.path.join(directory, target_rel)
            with open(path, "r+b") as f:
                f.seek(position)
                byte = f.read(1)
                f.seek(position)
                f.write(bytes([byte[0] ^ 0xFF]))
            for leftover in ("results.h5",):
                try:
                    os.remove(os.path.join(directory, leftover))
                except FileNotFoundError:
                    pass
            status, out, err = self.invoke(["compare", directory])
            name = f"record byte {position} flipped: compare"
            if status is None or status < 0 or RAW_ERROR.search(err):
                self.classify(name, status, out, err)
            elif "corrupt" not in (err + out).lower():
                self.note("silent", name, f"status {status}, the corrupt record was not reported")
            else:
                self.note("clear", name)
            status, out, err = self.invoke(["run", "TNNRegression", "--tier", "smoke", "--config", "D=4", "--out", directory])
            name = f"record byte {position} flipped: run (rerun)"
            if status is None or status < 0 or RAW_ERROR.search(err):
                self.classify(name, status, out, err)
            elif status != 0:
                self.note("unclear", name, f"status {status}: {err.strip()[-200:]}")
            elif self.invoke(["diff", run, directory])[0] != 0:
                self.note("lost", name, "numbers after the rerun differ from the original run (tnbench diff)")
            else:
                self.note("clear" if "corrupt" in (err + out).lower() else "silent", name,
                          "rerun without saying the record was corrupt")

    def disk_full(self, sizes):
        mount_point = self.path("tmpfs")
        os.makedirs(mount_point, exist_ok=True)
        probe = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mount_point], capture_output=True, text=True)
        if probe.returncode != 0:
            for size in sizes:
                self.note("skipped", f"disk full at {size}", f"cannot mount a tmpfs here ({probe.stderr.strip()})")
            return
        subprocess.run(["umount", mount_point])
        for size in sizes:
            subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", mount_point], check=True)
            try:
                out = os.path.join(mount_point, "run")
                status, stdout, err = self.invoke(["run", "TNNRegression", "--tier", "smoke", "--config", "D=4", "--out", out])
                name = f"disk full ({size} tmpfs): run"
                if status == 0:
                    self.note("ok", name)
                else:
                    self.classify(name, status, stdout, err)
                left = self.leftovers(out)
                if left:
                    self.note("lost", f"disk full ({size}): temporary files", ", ".join(left[:3]))
                # Every record in place must read: compare on the directory must not call one corrupt.
                if os.path.isdir(out) and self.record_files(out):
                    status, stdout, err = self.invoke(["compare", out])
                    if status is None or status < 0 or "corrupt" in (err + stdout).lower():
                        self.note("lost", f"disk full ({size}): records in place", f"status {status}: {err.strip()[-200:]}")
                    else:
                        self.note("ok", f"disk full ({size}): records in place read back")
            finally:
                subprocess.run(["umount", "-l", mount_point])

    def read_only(self, run):
        mount_point = self.path("ro")
        os.makedirs(mount_point, exist_ok=True)
        source = self.copy_run(run, "ro-source")
        try:
            os.remove(os.path.join(source, "results.h5"))
        except FileNotFoundError:
            pass
        bound = subprocess.run(["mount", "--bind", source, mount_point], capture_output=True, text=True)
        if bound.returncode != 0 or subprocess.run(["mount", "-o", "remount,ro,bind", mount_point], capture_output=True).returncode != 0:
            self.note("skipped", "read-only run directory", f"cannot bind-mount read-only here ({bound.stderr.strip()})")
            subprocess.run(["umount", mount_point], capture_output=True)
            return
        try:
            for command in (["compare", mount_point], ["diff", mount_point, run], ["status", mount_point],
                            ["report", mount_point, "--out", self.path("ro-report")]):
                self.case(f"read-only run directory: {command[0]}", command, expect="ok", statuses={0, 1, 4})
        finally:
            subprocess.run(["umount", "-l", mount_point])

    def concurrent_plans(self, trials):
        for trial in range(trials):
            out = self.path(f"concurrent-{trial}")
            shutil.rmtree(out, ignore_errors=True)
            a = subprocess.Popen([self.tnbench, "plan", "TNNRegression", "--tier", "smoke", "--config", "D=4", "--out", out],
                                 cwd=self.repo, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            b = subprocess.Popen([self.tnbench, "plan", "TNNClassification", "--tier", "smoke", "--out", out],
                                 cwd=self.repo, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            _, err_a = a.communicate(timeout=120)
            _, err_b = b.communicate(timeout=120)
            name = f"two plans into one --out (trial {trial})"
            try:
                with open(os.path.join(out, "plan.json")) as f:
                    plan = json.load(f)
            except (OSError, ValueError) as e:
                self.note("lost", name, f"plan.json unreadable: {e}")
                continue
            jobs = plan.get("jobs", [])
            suites = {j.get("suite") for j in jobs}
            indices = [j.get("index") for j in jobs]
            expected = {"TNNRegression"} if b.returncode != 0 else set()
            expected |= {"TNNClassification"} if b.returncode == 0 else set()
            expected |= {"TNNRegression"} if a.returncode == 0 else set()
            if len(set(indices)) != len(indices):
                self.note("lost", name, "duplicate indices in plan.json")
            elif not expected <= suites:
                self.note("lost", name, f"both exited {a.returncode}/{b.returncode} but the plan holds only {sorted(suites)}")
            elif (a.returncode != 0 and len(self.error_lines(err_a)) != 1) or (b.returncode != 0 and len(self.error_lines(err_b)) != 1):
                self.note("unclear", name, (err_a + err_b).strip()[:300])
            else:
                self.note("ok", name)

    def killed_parent(self, trials):
        for trial in range(trials):
            out = self.path(f"orphans-{trial}")
            shutil.rmtree(out, ignore_errors=True)
            # Jobs of minutes (the paper tier's 2000 sweeps), two workers: a worker still there
            # 5 s after its parent died was orphaned, not finishing its job.
            parent = subprocess.Popen([self.tnbench, "run", "TNNClassification", "--tier", "paper", "--jobs", "2", "--out", out],
                                      cwd=self.repo, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            workers = []
            deadline = time.time() + 60
            while time.time() < deadline and not workers:
                time.sleep(0.2)
                workers = children_of(parent.pid)
            name = f"parent killed with SIGKILL (trial {trial})"
            if not workers:
                parent.kill()
                parent.wait()
                self.note("skipped", name, "no worker started within 60 s")
                continue
            os.kill(parent.pid, signal.SIGKILL)
            parent.wait()
            deadline = time.time() + 5
            alive = workers
            while time.time() < deadline and alive:
                time.sleep(0.2)
                alive = [pid for pid in alive if process_alive(pid)]
            if alive:
                for pid in alive:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                self.note("lost", name, f"workers {alive} still running 5 s after their parent died")
            else:
                self.note("ok", name)

    def checkpoints(self):
        """A job killed after its first checkpoint, whose checkpoint is then damaged (garbage,
        truncated, empty, a directory in its place, another job's): the job must run again to a
        record — afresh, with a warning — never trap or resume from bad state."""
        env = dict(os.environ, TNBENCH_CHECKPOINT_SECONDS="0")
        args = ["run", "MPONet", "--tier", "smoke", "--config", "network=fc2", "--seeds", "1", "--set", "epochs_fc2=60"]

        def killed_after_checkpoint(out):
            proc = subprocess.Popen([self.tnbench, *args, "--out", out], cwd=self.repo, env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)
            deadline = time.time() + 120
            found = []
            while time.time() < deadline and proc.poll() is None:
                found = glob.glob(os.path.join(out, "work", "checkpoints", "MPONet", "*", "seed_0.h5"))
                if found:
                    break
                time.sleep(0.05)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return found[0] if found and os.path.exists(found[0]) else None

        def damage(path, how):
            if how == "garbage":
                with open(path, "wb") as f:
                    f.write(os.urandom(4096))
            elif how == "truncated":
                with open(path, "r+b") as f:
                    f.truncate(os.path.getsize(path) // 2)
            elif how == "empty":
                open(path, "wb").close()
            elif how == "directory":
                os.remove(path)
                os.makedirs(path)
            elif how == "flipped":
                with open(path, "r+b") as f:
                    f.seek(os.path.getsize(path) // 2)
                    byte = f.read(1)
                    f.seek(-1, 1)
                    f.write(bytes([byte[0] ^ 0xFF]))

        for how in ["garbage", "truncated", "empty", "directory", "flipped"]:
            out = self.path(f"checkpoint-{how}")
            shutil.rmtree(out, ignore_errors=True)
            name = f"checkpoint {how}: run again"
            path = killed_after_checkpoint(out)
            if path is None:
                self.note("skipped", name, "the job finished before it could be killed after a checkpoint")
                continue
            damage(path, how)
            status, stdout, err = self.invoke([*args, "--out", out], env=env, timeout=300)
            if status == 0 and not glob.glob(os.path.join(out, "jobs", "MPONet", "*", "seed_0.h5")):
                self.note("lost", name, "exit 0 without a record")
            else:
                self.classify(name, status, stdout, err, expect="ok")

    def corrupt_data(self):
        data = os.environ.get("TNBENCH_DATA_DIR") or os.path.expanduser("~/.cache/tnbench/data")
        source = os.path.join(data, "mnist", "t10k-images-idx3-ubyte")
        if not os.path.exists(source):
            self.note("skipped", "corrupted MNIST", f"no MNIST in {data} (run tnbench data fetch)")
            return
        copy = self.path("data-corrupt")
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(data, copy, ignore=shutil.ignore_patterns(".verified.json"))
        path = os.path.join(copy, "mnist", "t10k-images-idx3-ubyte")
        with open(path, "r+b") as f:
            raw = bytearray(f.read())
            for i in range(16, len(raw), 2):
                raw[i] = 255 - raw[i]
            f.seek(0)
            f.write(raw)
        out = self.path("corrupt-mnist-run")
        status, stdout, err = self.invoke(["run", "StoudenmireMPS", "--tier", "smoke", "--seeds", "1", "--data-dir", copy, "--out", out],
                                          timeout=300)
        name = "corrupted MNIST (every other pixel inverted)"
        if status == 0:
            self.note("silent", name, "the jobs completed on corrupted data")
        elif status == 3 and "sha-256" in (stdout + err).lower():
            self.note("clear", name)
        else:
            self.classify(name, status, stdout, err)

    def summary(self):
        for line in self.findings:
            print(line)
        print()
        print(f"inputs tried: {self.tried}")
        for key in ["clear", "ok", "crash", "hang", "unclear", "lost", "silent", "skipped"]:
            print(f"  {key:8} {self.counts[key]}")
        failed = sum(self.counts[k] for k in ["crash", "hang", "unclear", "lost", "silent"])
        passed = self.counts["clear"] + self.counts["ok"]
        print(f"hostile-pass: {passed} passed, {failed} failed, {self.counts['skipped']} skipped")
        return failed


def children_of(pid):
    result = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                result.append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    return result


def process_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except OSError:
        return False


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tnbench", default=os.path.join(repo, ".build", "release", "tnbench"))
    parser.add_argument("--work", default=None, help="scratch directory (default: a new one under /tmp)")
    parser.add_argument("--flips", type=int, default=120, help="random byte positions flipped in a record")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    parser.add_argument("--only", default=None, help="comma-separated groups to run (default: all)")
    parser.add_argument("--show-errors", action="store_true", help="print the one error line of every clear refusal")
    args = parser.parse_args()
    if not os.access(args.tnbench, os.X_OK):
        raise SystemExit(f"hostile-pass: no tnbench at {args.tnbench}; build it (swift build -c release) or pass --tnbench")
    work = args.work or tempfile.mkdtemp(prefix="tnbench-hostile-")
    os.makedirs(work, exist_ok=True)
    hostile = Pass(os.path.abspath(args.tnbench), work, repo)
    hostile.show_errors = args.show_errors
    run = hostile.smoke_run("good")
    groups = {
        "cli": lambda: hostile.command_line(run),
        "plan": lambda: hostile.plan_files(run),
        "manifest": lambda: hostile.run_manifest(run),
        "reference": lambda: hostile.reference_files(run),
        "records": lambda: hostile.record_bytes(run, args.flips),
        "disk": lambda: hostile.disk_full(["48k", "96k", "160k", "256k", "400k"]),
        "readonly": lambda: hostile.read_only(run),
        "concurrent": lambda: hostile.concurrent_plans(6),
        "orphans": lambda: hostile.killed_parent(2),
        "data": hostile.corrupt_data,
        "checkpoints": hostile.checkpoints,
    }
    selected = args.only.split(",") if args.only else list(groups)
    for name in selected:
        started = time.time()
        groups[name]()
        print(f"hostile-pass: {name} done in {time.time() - started:.0f} s", file=sys.stderr)
    failed = hostile.summary()
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
