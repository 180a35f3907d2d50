"""nilearn's compute_epi_mask algorithm in numpy/scipy (nilearn itself is
not installed here). Usage: epi_mask.py BOLD OUT_MASK [--repeat N]
Prints a JSON line: seconds (best of N, after loading), voxels, threshold."""
import json
import sys
import time

import nibabel as nib
import numpy as np
from scipy import ndimage


def epi_mask(mean, lower_cutoff=0.2, upper_cutoff=0.85, opening=2, connected=True):
    # Mean image smoothed at FWHM 1 against an identity affine, as nilearn does.
    if opening:
        sigma = 1.0 / np.sqrt(8 * np.log(2))
        for axis in range(3):
            ndimage.gaussian_filter1d(mean, sigma, output=mean, axis=axis)
    values = np.sort(mean.ravel())
    lo = int(np.floor(lower_cutoff * len(values)))
    hi = min(int(np.floor(upper_cutoff * len(values))), len(values) - 1)
    gaps = values[lo + 1:hi + 1] - values[lo:hi]
    at = gaps.argmax()
    threshold = 0.5 * (values[at + lo] + values[at + lo + 1])
    mask = mean >= threshold
    if opening:
        mask = ndimage.binary_erosion(mask, iterations=opening)
    if connected and mask.any():
        labels, n = ndimage.label(mask)
        if n > 1:
            counts = np.bincount(labels.ravel())
            counts[0] = 0
            mask = labels == counts.argmax()
    if opening:
        mask = ndimage.binary_dilation(mask, iterations=2 * opening)
        mask = ndimage.binary_erosion(mask, iterations=opening)
    return mask, threshold


def main():
    bold, out = sys.argv[1], sys.argv[2]
    repeat = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == '--repeat' else 1
    img = nib.load(bold)
    data = np.asanyarray(img.dataobj)
    best = float('inf')
    for _ in range(repeat):
        start = time.perf_counter()
        mean = data.mean(axis=-1)
        mask, threshold = epi_mask(mean)
        best = min(best, time.perf_counter() - start)
    nib.save(nib.Nifti1Image(mask.astype(np.uint8), img.affine), out)
    print(json.dumps({'seconds': best, 'voxels': int(mask.sum()), 'threshold': float(threshold)}))


if __name__ == '__main__':
    main()
