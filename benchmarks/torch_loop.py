"""A PyTorch per-client loop: the organisation of the paper's official code, as a timing anchor.

Clients are trained one after another, each from a copy of its model with a freshly created
``torch.optim.SGD`` and autograd, on the linear MIM alignment loss (Eq. 4 of arXiv 2607.02447:
−mean_b (W(x_b⊙m_b))ᵀ(W(x_b⊙(1−m_b))) + ½‖WWᵀ‖², P(m = 1) = 1 − p); after every round the
models are mixed (x_i ← Σ_j M_ij x_j: the DecL matrix, or FedAvg's 1 sᵀ). Same sizes, same
data and same mixing as ``timing.compare``; torch's own RNG (a different random stream:
equal cost per step, equal results only in distribution). Imported only by the benchmarks, so
the core install needs no torch.
"""

from __future__ import annotations

import time

import numpy as np

__all__ = ["torch_runner", "time_torch"]


def torch_runner(config, problem, *, threads: int | None = None):
    """``run(params0 (N, c, d), seed) -> (N, c, d)``: T rounds of the per-client loop."""
    import torch

    if threads is not None:
        torch.set_num_threads(threads)
    n, e, b, p, lr = config.n_clients, config.local_steps, config.batch, config.p, config.lr
    dt = torch.float32 if config.dtype == "float32" else torch.float64
    x = [torch.as_tensor(np.asarray(problem.x[i]), dtype=dt) for i in range(n)]
    sizes = [int(s) for s in np.asarray(problem.sizes)]
    mixing = torch.as_tensor(np.asarray(problem.mixing), dtype=dt)
    fedavg = config.framework == "fl"

    def loss_fn(W, xb, gen):
        m = (torch.rand(xb.shape, generator=gen, dtype=dt) >= p).to(dt)  # 1 = visible
        za = (xb * m) @ W.T
        zb = (xb * (1 - m)) @ W.T
        gram = W @ W.T
        return -(za * zb).sum(dim=1).mean() + 0.5 * (gram * gram).sum()

    def run(params0, seed: int):
        gen = torch.Generator().manual_seed(seed)
        models = [torch.as_tensor(np.asarray(params0[i]), dtype=dt).clone() for i in range(n)]
        for _ in range(config.rounds):
            new = []
            for i in range(n):
                W = torch.nn.Parameter(models[i].clone())
                opt = torch.optim.SGD([W], lr=lr)
                for _ in range(e):
                    rows = torch.randint(0, sizes[i], (b,), generator=gen)
                    opt.zero_grad()
                    loss_fn(W, x[i][rows], gen).backward()
                    opt.step()
                new.append(W.detach())
            stacked = torch.stack(new)
            if fedavg:
                avg = stacked.mean(0)
                models = [avg.clone() for _ in range(n)]
            else:
                mixed = torch.einsum("ij,jcd->icd", mixing, stacked)
                models = list(mixed)
        return torch.stack(models).numpy()

    return run


def time_torch(config, problem, params0, *, repeats: int = 2) -> float:
    """Best wall time (s) of the whole T-round torch loop after one warm-up round trip."""
    run = torch_runner(config, problem)
    run(params0, 0)
    best = float("inf")
    for r in range(repeats):
        t0 = time.perf_counter()
        run(params0, r)
        best = min(best, time.perf_counter() - t0)
    return best
