"""What the toy fixture implementations share (Tests/HarnessTests/ExternalImplementationTests.swift):
reading the job's problem, writing events and score files as docs/IMPLEMENTATIONS.md says.
Each fixture's prog.py uses it to behave well (good) or to commit one fault."""
import json
import os
import sys

import numpy as np


def problem():
    """The job's problem.json: the last argument."""
    with open(sys.argv[-1]) as file:
        return json.load(file)


def emit(event):
    """One event, one line of standard output."""
    print(json.dumps(event), flush=True)


def environment():
    emit({"event": "environment", "libraries": {"toy": "1.0"}, "device": "cpu", "threads": 1})


def epoch(number, seconds, loss=1.0):
    emit({"event": "epoch", "epoch": number, "seconds": seconds, "loss": loss})


def test_inputs(job):
    return np.load(job["data"]["test"]["inputs"])


def rule(inputs):
    """The good fixture's prediction: the class in column 2 (sample index mod 2)."""
    return inputs[:, 2].astype(np.int64)


def one_hot(classes, dtype=np.float32):
    scores = np.zeros((len(classes), 3), dtype=dtype)
    scores[np.arange(len(classes)), classes] = 1
    return scores


def predictions(job, checkpoint, scores, set_name="test"):
    """Saves `scores` in the output directory and reports them (a path relative to it)."""
    tag = "final" if checkpoint == "final" else "-".join(f"{k}-{v}" for k, v in checkpoint.items())
    name = f"{tag}-{set_name}.npy"
    np.save(os.path.join(job["output_directory"], name), scores)
    emit({"event": "predictions", "checkpoint": checkpoint, "sets": {set_name: name}})
