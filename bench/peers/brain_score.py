"""scikit-learn reference for neuromake's brain.score: per subject and layer,
RidgeCV(alphas, alpha_per_target=True) -- what the study's one RidgeCV per
parcel amounts to -- scored (a) the study's way (fit on all samples but the
last, Pearson r across parcels of the last) and (b) the Brain-Score way
(K folds given by FOLDS, Pearson r per parcel over the held-out predictions,
median over parcels).

Usage: brain_score.py ACT.npy Y.npy ROWS.npy FOLDS.npy ALPHAS_JSON OUT_PREFIX
       [N_SUBJECTS N_LAYERS]
ACT [N, L, H] float32; Y [S, n, K] (samples in presentation order); ROWS
[S, n] int32 activation row of each sample; FOLDS [S, n] int32 fold of each
sample. Writes OUT_PREFIX_study.npy, _brainscore.npy [S', L'] and
_parcels.npy [S', L', K] (float64) for the first S' subjects and L' layers.
"""
import json
import sys
import time

import numpy as np
from sklearn.linear_model import RidgeCV


def pearson_columns(a, b):
    a = a - a.mean(axis=0)
    b = b - b.mean(axis=0)
    return (a * b).sum(axis=0) / np.sqrt((a * a).sum(axis=0) * (b * b).sum(axis=0))


act = np.load(sys.argv[1])
y = np.load(sys.argv[2])
rows = np.load(sys.argv[3])
folds = np.load(sys.argv[4])
alphas = json.loads(sys.argv[5])
prefix = sys.argv[6]
n_sub = int(sys.argv[7]) if len(sys.argv) > 7 else y.shape[0]
n_lay = int(sys.argv[8]) if len(sys.argv) > 8 else act.shape[1]
k = y.shape[2]
study = np.zeros((n_sub, n_lay))
brain = np.zeros((n_sub, n_lay))
parcels = np.zeros((n_sub, n_lay, k))
fits = 0
start = time.perf_counter()
cpu_start = time.process_time()
for s in range(n_sub):
    ys = y[s].astype(np.float64)
    for l in range(n_lay):
        x = act[rows[s], l, :]
        model = RidgeCV(alphas=alphas, alpha_per_target=True)
        model.fit(x[:-1], ys[:-1])
        study[s, l] = pearson_columns(model.predict(x[-1:])[0][:, None], ys[-1][:, None])[0]
        fits += 1
        pred = np.empty_like(ys)
        for f in np.unique(folds[s]):
            test = folds[s] == f
            model = RidgeCV(alphas=alphas, alpha_per_target=True)
            model.fit(x[~test], ys[~test])
            pred[test] = model.predict(x[test])
            fits += 1
        r = pearson_columns(pred, ys)
        parcels[s, l] = r
        brain[s, l] = np.median(r)
seconds = time.perf_counter() - start
cpu_seconds = time.process_time() - cpu_start
np.save(prefix + '_study.npy', study)
np.save(prefix + '_brainscore.npy', brain)
np.save(prefix + '_parcels.npy', parcels)
print(json.dumps({'seconds': seconds, 'cpu_seconds': cpu_seconds, 'fits': fits, 'subjects': n_sub, 'layers': n_lay}))
