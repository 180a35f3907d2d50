"""numpy least squares of masked BOLD on atlas maps, as NiftiMapsMasker
solves it: lstsq(maps (V×K), data (V×T)). Usage: lstsq.py MAPS.npy X.npy OUT.npy
MAPS is K×V float32, X is T×V float32; OUT gets T×K float64."""
import json
import sys
import time

import numpy as np

maps = np.load(sys.argv[1]).astype(np.float64)
x = np.load(sys.argv[2]).astype(np.float64)
start = time.perf_counter()
coef = np.linalg.lstsq(maps.T, x.T, rcond=None)[0].T
seconds = time.perf_counter() - start
np.save(sys.argv[3], np.ascontiguousarray(coef))
print(json.dumps({'seconds': seconds, 'shape': list(coef.shape)}))
