# Fails: its final predictions file is text, not .npy
import os, sys; sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toy_contract import *

job = problem()
environment()
with open(os.path.join(job["output_directory"], "final-test.npy"), "w") as file:
    file.write("0 1 2\n")
emit({"event": "predictions", "checkpoint": "final", "sets": {"test": "final-test.npy"}})
