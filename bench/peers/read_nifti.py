"""Times nibabel reading a .nii.gz: stored values (dataobj, native dtype)
and get_fdata (float64), and plain zlib on the same bytes.
Usage: read_nifti.py FILE REPEAT  → JSON line with best seconds."""
import json
import sys
import time
import zlib

import nibabel as nib
import numpy as np

path, repeat = sys.argv[1], int(sys.argv[2])
best_raw = best_fdata = best_zlib = float('inf')
for _ in range(repeat):
    start = time.perf_counter()
    raw = np.asanyarray(nib.load(path).dataobj)
    best_raw = min(best_raw, time.perf_counter() - start)
    start = time.perf_counter()
    fdata = nib.load(path).get_fdata()
    best_fdata = min(best_fdata, time.perf_counter() - start)
    start = time.perf_counter()
    with open(path, 'rb') as f:
        zlib.decompress(f.read(), 31)
    best_zlib = min(best_zlib, time.perf_counter() - start)
print(json.dumps({'raw_seconds': best_raw, 'fdata_seconds': best_fdata,
                  'zlib_seconds': best_zlib, 'dtype': str(raw.dtype),
                  'shape': list(raw.shape)}))
