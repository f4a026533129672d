#!/usr/bin/env python3
"""Writes Tests/TensorTests/Fixtures/numpy_random.json: values printed by NumPy's legacy
RandomState, which NumpyRandomState must reproduce (seed -> same z as the official
StyleGAN scripts). Run from the repository root: python3 tools/make_numpy_random_fixture.py
Needs only numpy. Regenerate only on purpose."""
import json
import numpy as np

SEEDS = [0, 1, 42, 1234, 4294967295]
cases = []
for s in SEEDS:
    raw = np.random.RandomState(s).randint(0, 2**32, size=8, dtype=np.uint64)  # one raw MT19937 draw per value
    z = np.random.RandomState(s).randn(512)
    cases.append({"seed": s, "raw": [int(v) for v in raw],
                  "head": [float(v) for v in z[:8]], "tail": [float(v) for v in z[-8:]]})
doc = {"numpy": np.__version__,
       "description": "per seed: first 8 raw MT19937 outputs, randn(512) at indices 0..7 (head) and 504..511 (tail)",
       "cases": cases}
with open("Tests/TensorTests/Fixtures/numpy_random.json", "w") as f:
    json.dump(doc, f, indent=1)
print("wrote Tests/TensorTests/Fixtures/numpy_random.json")
