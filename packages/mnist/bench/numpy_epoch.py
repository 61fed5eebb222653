"""One epoch of Nielsen's [784,30,10] network with fully matrix-based mini-batch backprop in
NumPy: the peer `pnpm bench` measures nabla against. Prints one JSON object per run.

Usage: python3 numpy_epoch.py DATA_DIR --batch 10 --dtype float64 --runs 3 [--seed 1] [--warmup 1]
"""
import argparse
import json
import time

import numpy as np


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def epoch(weights, biases, X, Y, m, eta, rng):
    """Nielsen's update_mini_batch, with the whole mini-batch X = [x1 ... xm] at once."""
    n = X.shape[1]
    order = rng.permutation(n)
    for k in range(0, n, m):
        idx = order[k:k + m]
        x = X[:, idx]
        y = Y[:, idx]
        zs, activations = [], [x]
        a = x
        for w, b in zip(weights, biases):
            z = w @ a + b
            zs.append(z)
            a = sigmoid(z)
            activations.append(a)
        delta = (activations[-1] - y) * activations[-1] * (1 - activations[-1])  # BP1
        nabla_b = [None] * len(biases)
        nabla_w = [None] * len(weights)
        nabla_b[-1] = delta.sum(axis=1, keepdims=True)  # BP3
        nabla_w[-1] = delta @ activations[-2].T  # BP4
        for l in range(2, len(weights) + 1):
            s = activations[-l]
            delta = (weights[-l + 1].T @ delta) * s * (1 - s)  # BP2
            nabla_b[-l] = delta.sum(axis=1, keepdims=True)
            nabla_w[-l] = delta @ activations[-l - 1].T
        cols = x.shape[1]
        for i in range(len(weights)):
            weights[i] -= (eta / cols) * nabla_w[i]
            biases[i] -= (eta / cols) * nabla_b[i]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("data_dir")
    p.add_argument("--batch", type=int, default=10)
    p.add_argument("--dtype", default="float64")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--eta", type=float, default=3.0)
    p.add_argument("--warmup", type=int, default=0, help="untimed epochs before the timed one")
    a = p.parse_args()
    dt = np.dtype(a.dtype)
    images = read_idx(f"{a.data_dir}/train-images-idx3-ubyte")
    labels = read_idx(f"{a.data_dir}/train-labels-idx1-ubyte")
    timages = read_idx(f"{a.data_dir}/t10k-images-idx3-ubyte")
    tlabels = read_idx(f"{a.data_dir}/t10k-labels-idx1-ubyte")
    X = (images.reshape(len(images), -1).T / 255.0).astype(dt)
    Y = np.zeros((10, len(labels)), dtype=dt)
    Y[labels, np.arange(len(labels))] = 1
    TX = (timages.reshape(len(timages), -1).T / 255.0).astype(dt)
    for run in range(a.runs):
        rng = np.random.default_rng(a.seed + run)
        sizes = [784, 30, 10]
        biases = [rng.standard_normal((y, 1)).astype(dt) for y in sizes[1:]]
        weights = [rng.standard_normal((y, x)).astype(dt) for x, y in zip(sizes[:-1], sizes[1:])]
        for _ in range(a.warmup):
            epoch(weights, biases, X, Y, a.batch, dt.type(a.eta), rng)
        t0 = time.perf_counter()
        epoch(weights, biases, X, Y, a.batch, dt.type(a.eta), rng)
        seconds = time.perf_counter() - t0
        act = TX
        for w, b in zip(weights, biases):
            act = sigmoid(w @ act + b)
        correct = int((act.argmax(axis=0) == tlabels).sum())
        print(json.dumps({"impl": f"numpy-{a.dtype}", "batch": a.batch, "run": run, "seconds": seconds, "correct": correct, "total": len(tlabels)}), flush=True)


if __name__ == "__main__":
    main()
