"""One epoch of Nielsen's chapter 6 first conv net in NumPy: the peer `pnpm bench` measures
nabla's trainNet against. conv 20x5x5 (valid, stride 1) -> max-pool 2x2 -> sigmoid -> dense 100
(sigmoid) -> dense 10 (softmax), log-likelihood cost (mean over the mini-batch), plain SGD with
eta = 0.1, as network3.py (which applies the sigmoid after the pooling: max and sigmoid commute,
so this is the same network with a quarter of the sigmoid evaluations). Weights N(0, 1/n_in),
biases N(0, 1), as nabla's default 'scaled' initialiser.

The convolution is im2col: the mini-batch's 5x5 patches (a sliding_window_view, copied once) in
a [4, m*144, 25] matrix whose leading axis is the position in the 2x2 pooling window, so the
convolution is one matmul per mini-batch, the max-pool an elementwise max over four contiguous
slabs, and its backward pass the argmax mask of those slabs (first maximum on ties). Feature maps are NHWC.

Timed: the first --images images of a shuffled training set (all 60,000 by default), after
--warmup untimed images; "seconds" is the measured wall time scaled to 60,000 images and
"cpuSeconds" the process's CPU time (all threads) over the same stretch, scaled alike. Data loading and
scaling to [0, 1] are not timed; the shuffle and mini-batch gathers are. Test accuracy is
evaluated after the timing stops. Prints one JSON object per run.

Usage: python3 numpy_conv_epoch.py DATA_DIR --batch 10 --dtype float64 [--images 60000]
       [--warmup 1000] [--runs 1] [--seed 1] [--eta 0.1] [--no-mallopt]
"""
import argparse
import ctypes
import json
import time

import numpy as np

from numpy_epoch import read_idx, sigmoid  # the dense peer beside this file
from numpy.lib.stride_tricks import sliding_window_view

K = 5  # kernel size
MAPS = 20  # feature maps
POOL = 2
SIDE = 28 - K + 1  # 24: conv output side
PSIDE = SIDE // POOL  # 12: pooled side
FLAT = MAPS * PSIDE * PSIDE  # 2880
HIDDEN = 100
CLASSES = 10
TRAIN_IMAGES = 60000
WINDOW = np.arange(POOL * POOL).reshape(-1, 1, 1)  # the pooling window's positions, as the leading axis


def keep_temporaries_in_heap():
    """glibc serves each allocation over its mmap threshold (128 KiB at first) with a fresh mmap
    and unmaps it on free, so the step's megabyte temporaries (patches, conv maps, masks) page-
    fault anew every mini-batch: measured 15x slower at batch 10 here, mostly kernel time. The
    threshold is meant to rise after such frees but did not in these runs; raising it (and the
    trim threshold) keeps them in the heap, reused. Returns whether glibc accepted it."""
    try:
        libc = ctypes.CDLL(None)
        m_trim_threshold, m_mmap_threshold = -1, -3
        return libc.mallopt(m_mmap_threshold, 64 << 20) == 1 and libc.mallopt(m_trim_threshold, 256 << 20) == 1
    except (OSError, AttributeError):
        return False


def patches(x):
    """im2col of images x [m, 28, 28]: [4, m*144, 25], row (q, (n, i, j)) the 5x5 patch under
    conv output pixel (2i + q//2, 2j + q%2) of image n: the pooling window's position first."""
    m = x.shape[0]
    w = sliding_window_view(x, (K, K), axis=(1, 2))  # [m, 24, 24, 5, 5], a view
    w = w.reshape(m, PSIDE, POOL, PSIDE, POOL, K * K)  # still a view
    return w.transpose(2, 4, 0, 1, 3, 5).reshape(POOL * POOL, m * PSIDE * PSIDE, K * K)  # one copy


def forward(p, x):
    """Returns the pieces backprop needs; x [m, 28, 28]."""
    cw, cb, w1, b1, w2, b2 = p
    m = x.shape[0]
    cols = patches(x)
    z = cols @ cw  # [4, m*144, 20]: the convolution, one matmul
    z += cb
    pooled = np.maximum(np.maximum(z[0], z[1]), np.maximum(z[2], z[3]))  # [m*144, 20]
    # The window position of each max, the first on ties (argmax's rule; ties are common: blank
    # patches give the bias alone); faster than z.argmax(axis=0) over the strided leading axis.
    arg = np.where(z[0] == pooled, 0, np.where(z[1] == pooled, 1, np.where(z[2] == pooled, 2, 3)))
    a0 = sigmoid(pooled).reshape(m, FLAT)  # network3: sigmoid after the pooling
    a1 = sigmoid(a0 @ w1 + b1)  # [m, 100]
    z2 = a1 @ w2 + b2  # [m, 10]
    z2 -= z2.max(axis=1, keepdims=True)
    e = np.exp(z2)
    a2 = e / e.sum(axis=1, keepdims=True)  # softmax
    return cols, arg, a0, a1, a2


def step(p, x, y, eta):
    """One SGD step on the mini-batch x [m, 28, 28], one-hot y [m, 10]."""
    cw, cb, w1, b1, w2, b2 = p
    m = x.shape[0]
    cols, arg, a0, a1, a2 = forward(p, x)
    d2 = (a2 - y) / np.asarray(m, dtype=a2.dtype)  # dC/dz2 for softmax + mean log-likelihood
    gw2 = a1.T @ d2
    gb2 = d2.sum(axis=0)
    d1 = (d2 @ w2.T) * a1 * (1 - a1)
    gw1 = a0.T @ d1
    gb1 = d1.sum(axis=0)
    d0 = ((d1 @ w1.T) * a0 * (1 - a0)).reshape(m * PSIDE * PSIDE, MAPS)  # at the pooled pre-activations
    dz = (arg == WINDOW) * d0  # [4, m*144, 20]: the argmax mask routes each delta to its max
    gcw = cols.reshape(-1, K * K).T @ dz.reshape(-1, MAPS)  # [25, 20]
    gcb = dz.sum(axis=(0, 1))
    for w, g in ((cw, gcw), (cb, gcb), (w1, gw1), (b1, gb1), (w2, gw2), (b2, gb2)):
        w -= eta * g


def train(p, X, Y, order, m, eta):
    for k in range(0, len(order), m):
        idx = order[k:k + m]
        step(p, X[idx], Y[idx], eta)


def accuracy(p, X, labels, chunk=500):
    correct = 0
    for k in range(0, len(X), chunk):
        a2 = forward(p, X[k:k + chunk])[-1]
        correct += int((a2.argmax(axis=1) == labels[k:k + chunk]).sum())
    return correct


def init(rng, dt):
    """Weights N(0, 1/n_in), biases N(0, 1); the conv kernel as a [25, 20] matrix."""
    def normal(shape, scale):
        return (rng.standard_normal(shape) * scale).astype(dt)
    return [
        normal((K * K, MAPS), 1 / np.sqrt(K * K)), normal((MAPS,), 1.0),
        normal((FLAT, HIDDEN), 1 / np.sqrt(FLAT)), normal((HIDDEN,), 1.0),
        normal((HIDDEN, CLASSES), 1 / np.sqrt(HIDDEN)), normal((CLASSES,), 1.0),
    ]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("data_dir")
    p.add_argument("--batch", type=int, default=10)
    p.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    p.add_argument("--images", type=int, default=TRAIN_IMAGES, help="training images timed (the epoch's first N after the shuffle)")
    p.add_argument("--warmup", type=int, default=0, help="untimed training images before the timed ones")
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--eta", type=float, default=0.1)
    p.add_argument("--no-mallopt", action="store_true", help="leave glibc's malloc thresholds alone (see keep_temporaries_in_heap)")
    a = p.parse_args()
    heap = False if a.no_mallopt else keep_temporaries_in_heap()
    if not 1 <= a.images <= TRAIN_IMAGES:
        p.error(f"--images must be in [1, {TRAIN_IMAGES}]")
    dt = np.dtype(a.dtype)
    eta = dt.type(a.eta)
    images = read_idx(f"{a.data_dir}/train-images-idx3-ubyte")
    labels = read_idx(f"{a.data_dir}/train-labels-idx1-ubyte")
    timages = read_idx(f"{a.data_dir}/t10k-images-idx3-ubyte")
    tlabels = read_idx(f"{a.data_dir}/t10k-labels-idx1-ubyte")
    X = (images / 255.0).astype(dt)  # [60000, 28, 28]
    Y = np.zeros((len(labels), CLASSES), dtype=dt)
    Y[np.arange(len(labels)), labels] = 1
    TX = (timages / 255.0).astype(dt)
    for run in range(a.runs):
        rng = np.random.default_rng(a.seed + run)
        params = init(rng, dt)
        if a.warmup > 0:
            train(params, X, Y, rng.permutation(len(X))[:a.warmup], a.batch, eta)
        t0, c0 = time.perf_counter(), time.process_time()
        order = rng.permutation(len(X))[:a.images]
        train(params, X, Y, order, a.batch, eta)
        measured = time.perf_counter() - t0
        cpu = time.process_time() - c0
        correct = accuracy(params, TX, tlabels)
        print(json.dumps({
            "impl": f"numpy-{a.dtype}", "batch": a.batch, "run": run,
            "seconds": measured * TRAIN_IMAGES / a.images, "imagesTimed": a.images, "measuredSeconds": measured,
            "cpuSeconds": cpu * TRAIN_IMAGES / a.images,
            "correct": correct, "total": len(tlabels), "mallopt": heap,
        }), flush=True)


if __name__ == "__main__":
    main()
