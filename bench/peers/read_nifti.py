"""Times nibabel reading a .nii.gz: stored values (dataobj) and get_fdata.
Usage: read_nifti.py FILE REPEAT  → JSON line with best seconds."""
import json
import sys
import time

import nibabel as nib
import numpy as np

path, repeat = sys.argv[1], int(sys.argv[2])
best_raw = best_fdata = float('inf')
for _ in range(repeat):
    start = time.perf_counter()
    raw = np.asanyarray(nib.load(path).dataobj)
    best_raw = min(best_raw, time.perf_counter() - start)
    start = time.perf_counter()
    fdata = nib.load(path).get_fdata()
    best_fdata = min(best_fdata, time.perf_counter() - start)
print(json.dumps({'raw_seconds': best_raw, 'fdata_seconds': best_fdata, 'shape': list(raw.shape)}))
