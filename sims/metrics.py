r"""Metrics of trained encoders (arXiv 2607.02447): what Track C (:mod:`sims.trackc`) and
Track D (:mod:`sims.trackd.evaluate`) measure of a trained model, beside the simulator
(:mod:`sims.core`), whose rounds need none of it.

Representability (Definition 4.1): the row space of a trained W is scale-blind, so residual
directions of negligible size would count fully. ``representability_vector`` therefore uses the
right singular directions whose singular value exceeds
:math:`\mathrm{rel\_tol}\cdot\sigma_{\max}` (``rel_tol``, default 1e-2), and ``energy_rv``
weights every direction by its share of the energy
:math:`\sigma_j^2/\sum_l \sigma_l^2`, i.e. :math:`r_k = \lVert W e_k\rVert^2/\lVert W\rVert_F^2`.
Both are jittable (fixed shapes; the threshold is a mask).

Also here: sensitivity (Theorem 4.4), principal angle to the Track B optimum, consensus distance
Ξ (docs/theory/consensus.md §0, D7), :math:`\zeta^2(W)` (docs/theory/consensus.md §0), the
population loss
(these three validate their arguments and call the one implementation in
:mod:`theory.dissimilarity`; the dtype follows the inputs, so they work under ``jit``), a
closed-form ridge linear
probe, uniformity and alignment (docs/theory/ssd.md §1) and weight distances (paper Table 5).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
from jax import lax

from theory import _validate as v
from theory import dissimilarity

Array = jax.Array

#: Relative singular-value threshold defining the "significant" row space of a trained W.
RV_REL_TOL = 1e-2


def _concrete(x) -> bool:
    return not isinstance(x, jax.core.Tracer)


def _shape(x, field: str, ndim: int) -> tuple:
    """Static rank check (works under jit); values are checked only when concrete."""
    if isinstance(x, (str, bytes)) or x is None:
        v.fail_type(field, f"an array of rank {ndim}", x)
    shape = jnp.shape(x)
    if len(shape) != ndim:
        v.fail(field, f"an array of rank {ndim}", f"shape {shape}")
    if _concrete(x) and not np.all(np.isfinite(np.asarray(x))):
        v.fail(field, "finite (no NaN or inf)", "an array with NaN/inf entries")
    return shape


def representability_vector(W: Array, rel_tol: float = RV_REL_TOL) -> Array:
    r""":math:`r_k = \sum_{j:\, \sigma_j > \mathrm{rel\_tol}\cdot\sigma_1} (v_j^\top e_k)^2`, RV of
    Definition 4.1 on the significant row space.

    Args:
      W: (c, d) encoder.
      rel_tol: relative singular-value threshold.

    Returns:
      (d,) vector with entries in [0, 1].

    Example:
      >>> import jax.numpy as jnp
      >>> representability_vector(jnp.array([[1.0, 0.0, 0.0], [0.0, 1e-6, 0.0]])).tolist()
      [1.0, 0.0, 0.0]
    """
    _shape(W, "W", 2)
    if _concrete(rel_tol):
        v.real(rel_tol, "rel_tol", lo=0.0, hi=1.0, hi_open=True)
    _, s, vt = jnp.linalg.svd(W, full_matrices=False)
    keep = (s > rel_tol * s[0]).astype(W.dtype)
    return jnp.einsum("j,jk->k", keep, vt**2)


def energy_rv(W: Array) -> Array:
    r"""Energy-weighted RV
    :math:`r_k = \sum_j \sigma_j^2 (v_j^\top e_k)^2 / \sum_j \sigma_j^2`
    :math:`{} = \lVert W e_k\rVert^2 / \lVert W\rVert_F^2`, shape (d,).

    Not in the paper (an extension, threshold-free); same normalisation as Track B's
    ``theory.solve.energy_weighted_rv`` (sums to 1 over k). W (c, d), :math:`W \ne 0`."""
    _shape(W, "W", 2)
    if _concrete(W) and not np.any(np.asarray(W)):
        v.fail("W", "nonzero (the energy RV of W = 0 is undefined)", "an all-zero matrix")
    col = jnp.sum(W * W, axis=0)
    return col / jnp.sum(col)


def sensitivity(r: Array, k: int) -> Array:
    r""":math:`s = \max_{j<k} r_j - \min_{j<k} r_j` over the leading k coordinates (Thm 4.4 uses
    k = c; the theorems bound only k = N, docs/theory/errata.md (e)). r (d,), k in [1, d]."""
    (d,) = _shape(r, "r", 1)
    k = v.integer(k, "k", lo=1, hi=d)
    return jnp.max(r[:k]) - jnp.min(r[:k])


def consensus_distance(W: Array, pi: Array | None = None) -> Array:
    r""":math:`\Xi = \frac1n \sum_i \lVert W_i - \bar W\rVert^2`, or with ``pi``
    :math:`\sum_i \pi_i \lVert W_i - \bar W_\pi\rVert^2`, :math:`\bar W_\pi = \sum_i \pi_i W_i`
    (docs/theory/consensus.md §3 D7).

    Args:
      W: (n, ...) stacked client parameters.
      pi: (n,) non-negative weights summing to 1, or None (uniform).
    """
    if isinstance(W, (str, bytes)) or W is None or jnp.ndim(W) < 1:
        v.fail("W", "an (n, ...) array of stacked parameters", W)
    n = W.shape[0]
    if pi is not None:
        _shape(pi, "pi", 1)
        if jnp.shape(pi) != (n,):
            v.fail("pi", f"an ({n},) weight vector", f"shape {jnp.shape(pi)}")
        if _concrete(pi):
            p = np.asarray(pi, dtype=np.float64)
            if np.any(p < 0) or abs(p.sum() - 1.0) > 1e-8:
                v.fail("pi", "non-negative weights summing to 1", f"sum {p.sum():.6g}")
    return dissimilarity.consensus_sq_jnp(W, pi)


def zeta_sq(W: Array, targets: Array) -> Array:
    r""":math:`\zeta^2(W) = \frac4N \sum_i \lVert W(X_i - \bar X)\rVert_F^2`
    (docs/theory/consensus.md §0). W (c, d), targets (N, d, d)."""
    _check_targets(W, targets)
    return dissimilarity.zeta_sq_jnp(W, targets)


def _check_targets(W, targets) -> None:
    _, d = _shape(W, "W", 2)
    n, d1, d2 = _shape(targets, "targets", 3)
    if (d1, d2) != (d, d):
        v.fail("targets", f"an (N, d, d) array with d = {d} (from W)", f"shape {(n, d1, d2)}")


def global_loss(W: Array, targets: Array, weights: Array | None = None) -> Array:
    r""":math:`\sum_i w_i f_i(W)`,
    :math:`f_i(W) = -\operatorname{tr}(W X_i W^\top) + \tfrac12 \lVert W^\top W\rVert^2`
    (uniform w by default).
    W (c, d), targets (N, d, d), weights (N,) non-negative summing to 1."""
    _check_targets(W, targets)
    n = targets.shape[0]
    if weights is not None:
        _shape(weights, "weights", 1)
        if jnp.shape(weights) != (n,):
            v.fail("weights", f"an ({n},) weight vector", f"shape {jnp.shape(weights)}")
    return dissimilarity.global_loss_jnp(W, targets, weights)


def identifiable_rank(X, c: int, gap_rtol: float = 1e-2) -> int:
    r"""Largest :math:`r \le c` with :math:`\lambda_r > \mathrm{gap\_rtol}\cdot\lambda_1` and
    :math:`\lambda_r - \lambda_{r+1} \ge \mathrm{gap\_rtol}\cdot\lambda_1` (eigenvalues of X,
    descending).

    The optimum of :math:`-\operatorname{tr}(W X W^\top) + \tfrac12 \lVert W^\top W\rVert^2` is
    :math:`W^\top W = \sum_{j\le c} (\lambda_j)_+ v_j v_j^\top` (Eckart–Young); its
    top-r eigenspace is uniquely defined (and recoverable by training in finite time) only where
    an eigengap separates it. Returns 0 if no such r exists.
    """
    X = v.array(X, "X", ndim=2)
    if X.shape[0] != X.shape[1] or X.shape[0] < 1:
        v.fail("X", "a square (d, d) matrix", f"shape {X.shape}")
    c = v.integer(c, "c", lo=1)
    gap_rtol = v.real(gap_rtol, "gap_rtol", lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    lam = np.linalg.eigvalsh(X)[::-1]
    if lam[0] <= 0:
        return 0
    lam_ext = np.append(lam, -np.inf)
    for r in range(min(c, lam.size), 0, -1):
        if lam[r - 1] > gap_rtol * lam[0] and lam_ext[r - 1] - lam_ext[r] >= gap_rtol * lam[0]:
            return r
    return 0


def principal_angle_to_optimum(W, X, c: int, *, gap_rtol: float = 1e-2) -> tuple[float, int]:
    r"""Largest principal angle (rad) between the top-r right singular space of W and the top-r
    eigenspace of X, r = ``identifiable_rank(X, c, gap_rtol)``; returns ``(angle, r)``.

    Computed as :math:`\arcsin \lVert (I - U U^\top) V_r\rVert_2` (stable for small angles). X is
    the target whose optimum is compared (Track B's population :math:`\bar X = \sum_j \pi_j X_j`,
    or an empirical target).
    """
    X = v.array(X, "X", ndim=2)
    W = v.array(W, "W", ndim=2)
    if W.shape[1] != X.shape[0]:
        v.fail("W", f"a (c, d) encoder with d = {X.shape[0]} (from X)", f"shape {W.shape}")
    r = identifiable_rank(X, c, gap_rtol)
    if r == 0:
        return float("nan"), 0
    _, vecs = np.linalg.eigh(X)
    V = vecs[:, ::-1][:, :r]
    U = np.linalg.svd(W, full_matrices=False)[2][:r].T
    resid = V - U @ (U.T @ V)
    s = np.linalg.norm(resid, 2)
    return float(np.arcsin(min(1.0, s))), r


def probe_accuracy(
    W, x_train, y_train, x_test, y_test, *, n_classes: int, ridge: float = 1e-3, block: int = 65536
):
    r"""Held-out accuracy of a closed-form ridge linear probe on features z = Wx (+ bias).

    :math:`\beta = \big(Z^\top Z + \rho\,(\operatorname{tr}(Z^\top Z)/c')\, I\big)^{-1} Z^\top Y`
    with one-hot Y; prediction :math:`\operatorname{argmax} Z\beta`. :math:`Z^\top Z` and
    :math:`Z^\top Y` are accumulated over blocks of ``block`` rows, so memory is
    :math:`O(\mathrm{block}\cdot(c + K) + c^2)`, not :math:`O(m c)`.

    Args:
      W: (c, d) encoder.
      x_train, x_test: (m, d) samples; y_train, y_test: (m,) int labels in [0, n_classes).
      n_classes: number of labels (2N for the paper's model).
      ridge: relative ridge ρ > 0.
      block: rows per block.

    Returns:
      accuracy in [0, 1].

    Example:
      >>> import numpy as np
      >>> x = np.array([[1.0, 0.0], [-1.0, 0.0], [2.0, 0.0], [-2.0, 0.0]])
      >>> probe_accuracy(np.eye(2), x, [0, 1, 0, 1], x, [0, 1, 0, 1], n_classes=2)
      1.0
    """
    n_classes = v.integer(n_classes, "n_classes", lo=2)
    v.real(ridge, "ridge", lo=0.0, lo_open=True)
    block = v.integer(block, "block", lo=1)
    W = v.array(W, "W", ndim=2)
    c, d = W.shape
    x_train = v.array(x_train, "x_train", shape=(None, d))
    x_test = v.array(x_test, "x_test", shape=(None, d))
    y_train = _int_labels(y_train, "y_train", x_train.shape[0], n_classes)
    y_test = _int_labels(y_test, "y_test", x_test.shape[0], n_classes)

    def feats(x):
        z = x @ W.T
        return np.concatenate([z, np.ones((z.shape[0], 1))], axis=1)

    gram = np.zeros((c + 1, c + 1))
    zty = np.zeros((c + 1, n_classes))
    for s in range(0, x_train.shape[0], block):
        z = feats(x_train[s : s + block])
        gram += z.T @ z
        np.add.at(zty.T, y_train[s : s + block], z)
    lam = ridge * np.trace(gram) / gram.shape[0]
    beta = np.linalg.solve(gram + lam * np.eye(gram.shape[0]), zty)
    hits = 0
    for s in range(0, x_test.shape[0], block):
        pred = np.argmax(feats(x_test[s : s + block]) @ beta, axis=1)
        hits += int(np.sum(pred == y_test[s : s + block]))
    return hits / x_test.shape[0]


def _int_labels(y, field: str, m: int, n_classes: int) -> np.ndarray:
    a = np.asarray(y)
    if a.shape != (m,):
        v.fail(field, f"an ({m},) array of labels", f"shape {a.shape}")
    if a.dtype.kind not in "iu":
        if a.dtype.kind == "f" and np.all(np.isfinite(a)) and np.all(a == np.round(a)):
            a = a.astype(np.int64)
        else:
            v.fail(field, f"integer labels in [0, {n_classes})", "non-integer entries")
    if m and (a.min() < 0 or a.max() >= n_classes):
        v.fail(field, f"integer labels in [0, {n_classes})", f"range [{a.min()}, {a.max()}]")
    return a.astype(np.int64)


def _normalise(z: Array) -> Array:
    """Rows scaled to unit norm; an all-zero row (e.g. a fully masked view) stays zero."""
    norm = jnp.linalg.norm(z, axis=-1, keepdims=True)
    return z / jnp.maximum(norm, jnp.finfo(z.dtype).tiny)


#: Elements of the largest pairwise block a uniformity metric holds at once (2^21 ≈ 2.1e6,
#: about 17 MB in float64): memory is O(this + N·m·c), never O(N²m²).
PAIR_BLOCK_ELEMENTS = 1 << 21


def _check_t(t) -> None:
    if not isinstance(t, jax.core.Tracer):
        v.real(t, "t", lo=0.0, lo_open=True)


def _log_pair_sum(a: Array, b: Array, t, exclude_diagonal, block_elements: int) -> Array:
    """log Σ_{r, s} exp(−t‖â_r − b̂_s‖²) over rows of a (m_a, c) and b (m_b, c) (pairs r = s
    left out where ``exclude_diagonal``), by a ``lax.scan`` over blocks of rows of a with a
    running log-sum-exp: O(block·m_b) memory instead of O(m_a·m_b)."""
    ma, mb = a.shape[0], b.shape[0]
    rows = int(max(1, min(ma, block_elements // max(1, mb))))
    nb = -(-ma // rows)
    ap = jnp.pad(a, ((0, nb * rows - ma), (0, 0))).reshape(nb, rows, a.shape[1])
    cols = jnp.arange(mb)

    def body(acc, inp):
        blk, start = inp
        r = start + jnp.arange(rows)
        sq = jnp.maximum(2.0 - 2.0 * blk @ b.T, 0.0)
        keep = (r < ma)[:, None] & ~(exclude_diagonal & (r[:, None] == cols[None, :]))
        logk = jnp.where(keep, -t * sq, -jnp.inf)
        return jnp.logaddexp(acc, jax.nn.logsumexp(logk)), None

    acc0 = jnp.full((), -jnp.inf, dtype=a.dtype)
    out, _ = lax.scan(body, acc0, (ap, jnp.arange(nb) * rows))
    return out


def uniformity(z: Array, t: float = 2.0, *, block_elements: int = PAIR_BLOCK_ELEMENTS) -> Array:
    r""":math:`U = -\log \mathbb{E}_{a\ne b} \exp(-t\lVert \hat z_a - \hat z_b\rVert^2)`, rows
    L2-normalised, self-pairs excluded (docs/theory/ssd.md §1; higher = more uniform,
    :math:`U \in [0, 4]` for t = 2).

    Computed blockwise (running log-sum-exp over blocks of rows), so memory is
    :math:`O(\text{block\_elements} + m c)`, not :math:`O(m^2)`.

    Args:
      z: (m, c) embeddings, :math:`m \ge 2`.
      t: kernel scale t > 0.
      block_elements: largest number of pair terms held at once.

    Returns:
      scalar U.

    Example:
      >>> import jax.numpy as jnp
      >>> round(float(uniformity(jnp.array([[1.0, 0.0], [-1.0, 0.0]]))), 6)
      8.0
    """
    _check_t(t)
    if z.ndim != 2 or z.shape[0] < 2:
        v.fail("z", "an (m, c) array with m >= 2", f"shape {z.shape}")
    zn = _normalise(z)
    m = zn.shape[0]
    log_sum = _log_pair_sum(zn, zn, t, True, block_elements)
    return -(log_sum - jnp.log(float(m) * (m - 1)))


def cross_uniformity(
    z1: Array, z2: Array, t: float = 2.0, *, block_elements: int = PAIR_BLOCK_ELEMENTS
) -> Array:
    r"""Inter-client uniformity
    :math:`U_{ij} = -\log \mathbb{E}_{z\sim p_i, z'\sim p_j} \exp(-t\lVert\hat z - \hat z'\rVert^2)`
    (docs/theory/ssd.md §1.2),
    blockwise as :func:`uniformity`. z1 (m1, c), z2 (m2, c); returns a scalar."""
    _check_t(t)
    if z1.ndim != 2 or z2.ndim != 2 or z1.shape[1] != z2.shape[1]:
        v.fail("z2", "an (m2, c) array with the c of z1", f"shapes {z1.shape}, {z2.shape}")
    log_sum = _log_pair_sum(_normalise(z1), _normalise(z2), t, False, block_elements)
    return -(log_sum - jnp.log(float(z1.shape[0]) * z2.shape[0]))


def client_uniformity(
    z: Array, t: float = 2.0, *, block_elements: int = PAIR_BLOCK_ELEMENTS
) -> tuple[Array, Array]:
    r"""Intra-client :math:`U_k` (N,) and inter-client :math:`U_{ij}` (N, N) (diagonal: intra) of
    embeddings z (N, m, c) of each client's data under one model (docs/theory/ssd.md §1.2).

    Exact, and blockwise: a ``lax.map`` over clients i, ``vmap`` over j, and a scan over blocks
    of client i's rows with a running log-sum-exp, so memory is
    :math:`O(\text{block\_elements}\cdot N + N m c)` rather than the :math:`O(N^2 m^2)` of
    materialising every pair. Compute is still :math:`O(N^2 m^2 c)`: for large
    N·m use :func:`client_uniformity_mc`.

    Example:
      >>> import jax.numpy as jnp
      >>> intra, inter = client_uniformity(jnp.array([[[1.0, 0.0], [0.0, 1.0]]] * 2))
      >>> inter.shape, round(float(intra[0]), 6)
      ((2, 2), 4.0)
    """
    _check_t(t)
    if z.ndim != 3 or z.shape[1] < 2:
        v.fail("z", "an (N, m, c) array with m >= 2", f"shape {z.shape}")
    n, m = z.shape[0], z.shape[1]
    zn = _normalise(z)
    per_pair = max(1, block_elements // max(1, n))

    def row(i):
        return jax.vmap(lambda b, j: _log_pair_sum(zn[i], b, t, i == j, per_pair))(
            zn, jnp.arange(n)
        )

    logs = lax.map(row, jnp.arange(n))
    eye = jnp.eye(n, dtype=bool)
    norm = jnp.where(eye, jnp.log(float(m) * (m - 1)), jnp.log(float(m) * m))
    inter = -(logs - norm.astype(logs.dtype))
    return jnp.diagonal(inter), inter


#: How many calls :func:`client_uniformity_mc` splits its N rows of client pairs into (each a
#: block of rows of one compiled program), so that ``on_rows`` reports progress.
UNIFORMITY_CALLS = 20


def client_uniformity_mc(
    z: Array, t: float = 2.0, *, key, pairs: int = 1024, on_rows: Callable | None = None
) -> dict:
    r"""Monte Carlo estimate of :func:`client_uniformity` with its standard error, in
    :math:`O(N^2\cdot\mathrm{pairs}\cdot c)` time and :math:`O(\mathrm{pairs}\cdot c + N m c)`
    memory (one client pair at a time).

    For every (i, j), ``pairs`` index pairs (a, b) are drawn independently and uniformly (a from
    client i, b from client j; for i = j, :math:`b \ne a`),
    :math:`k = \exp(-t\lVert \hat z_a - \hat z_b\rVert^2)`, and
    :math:`\hat U_{ij} = -\log \bar k` with the delta-method standard error
    :math:`\mathrm{se}(\hat U_{ij}) = s_k / (\sqrt{\mathrm{pairs}}\cdot \bar k)` (:math:`s_k` the
    sample standard deviation of k). This is the sampling error over pairs, given the
    embeddings z (not over fresh data).

    Args:
      z: (N, m, c) embeddings, :math:`m \ge 2`.
      t: kernel scale t > 0.
      key: JAX PRNG key of the pair draws.
      pairs: pairs per (i, j), ≥ 2.
      on_rows: None, or ``on_rows(k)`` called after each block of k clients i (all their
        partners j): a progress bar's ``update``, N in all. The rows are then computed in
        :data:`UNIFORMITY_CALLS` blocks (the same numbers: each row's do not depend on the
        blocks), else in one call.

    Returns:
      ``{"intra": (N,), "inter": (N, N), "intra_se": (N,), "inter_se": (N, N)}`` (diagonal of
      ``inter`` = ``intra``).

    Example:
      >>> import jax.numpy as jnp, jax.random as jr
      >>> z = jnp.array([[[1.0, 0.0], [0.0, 1.0]]] * 2)
      >>> out = client_uniformity_mc(z, key=jr.PRNGKey(0), pairs=64)
      >>> round(float(out["intra"][0]), 6), round(float(out["intra_se"][0]), 6)
      (4.0, 0.0)
    """
    _check_t(t)
    pairs = v.integer(pairs, "pairs", lo=2)
    if z.ndim != 3 or z.shape[1] < 2:
        v.fail("z", "an (N, m, c) array with m >= 2", f"shape {z.shape}")
    if on_rows is not None and not callable(on_rows):
        v.fail_type("on_rows", "a function on_rows(k), or None", on_rows)
    n = z.shape[0]
    # one call without a progress report (the 20 calls cost about 0.2 s at N = 100)
    k = n if on_rows is None else -(-n // UNIFORMITY_CALLS)
    program = _uniformity_mc_program(_no_ynn_key())
    parts = []
    for a in range(0, n, k):
        # a fixed block of k rows (the last one's padding rows repeat row N - 1 and are
        # dropped): one compiled program for every block
        rows = jnp.minimum(jnp.arange(a, a + k), n - 1)
        parts.append(tuple(x[: min(k, n - a)] for x in program(z, key, t, pairs, rows)))
        if on_rows is not None:  # once the block is computed, not when it is dispatched
            on_rows(len(jax.block_until_ready(parts[-1])[0]))
    inter, inter_se = (jnp.concatenate(x) for x in zip(*parts, strict=True))
    return {
        "intra": jnp.diagonal(inter),
        "inter": inter,
        "intra_se": jnp.diagonal(inter_se),
        "inter_se": inter_se,
    }


def _no_ynn_key() -> tuple | None:
    """The compiler options of :func:`_uniformity_mc_program`, as a hashable key: no YNNPACK
    fusions (:func:`sims.core.environ.no_ynn_options`)."""
    from sims.core.environ import compiler_options_key, no_ynn_options

    return compiler_options_key(no_ynn_options()) or None


@functools.cache
def _uniformity_mc_program(options: tuple | None):
    """``_uniformity_mc`` as one compiled program (one per shape and dtype of z, kind of key,
    number of pairs and size of a block of rows; t may be traced, and keeps its own type),
    compiled with
    ``options`` (a :func:`sims.core.environ.compiler_options_key`).

    Jitted: un-jitted, the client loop was traced and compiled again at every call (N = 100,
    m = 327, c = 200, float64, 2 cores, ``dssl``'s XLA flags: a second call 9.9 CPU s against
    6.7 jitted, the same bits). Without XLA:CPU's YNNPACK fusions (on a CPU): each pair's
    dot products were a YNNPACK reduction of the two gathered (pairs, c) blocks, which XLA
    then wrote out in full for every client pair; XLA's own reduction reads the rows where
    they lie. Same shapes, 2 cores, ``dssl``'s flags, alternating calls in one process: 6.0,
    6.1, 6.3, 7.3 CPU s against 3.7, 4.1, 5.2, 4.0, the first call (compiling) 8.1 against
    5.6 (2026-11-28, load 1.5-1.9). The dot products are summed in another order: the
    estimates moved by at most 2.3e-16 relative (1e-13 of their standard errors)."""
    from sims.core.environ import compiler_options_of

    given = compiler_options_of(options or ())
    return jax.jit(_uniformity_mc, static_argnums=3, compiler_options=given or None)


def _uniformity_mc(z: Array, key, t, pairs: int, rows: Array) -> tuple[Array, Array]:
    """The estimates and standard errors of :func:`client_uniformity_mc` of the clients i in
    ``rows`` against every client j, (len(rows), N) each, run as
    :func:`_uniformity_mc_program`."""
    n, m, _ = z.shape
    zn = _normalise(z)

    def draw(i, j):  # the pairs (a, b) of Û_ij
        ka, kb = jr.split(jr.fold_in(key, i * n + j))
        a = jr.randint(ka, (pairs,), 0, m)
        b_other = jr.randint(kb, (pairs,), 0, m)
        b_same = (a + 1 + jr.randint(kb, (pairs,), 0, m - 1)) % m
        return a, jnp.where(i == j, b_same, b_other)

    def one(zi, j, a, b):  # Û_ij and its standard error, client i's rows zi = ẑ_i
        rows_a = zi.at[a].get(mode="promise_in_bounds")  # drawn in [0, m)
        rows_b = zn[j].at[b].get(mode="promise_in_bounds")
        sq = jnp.maximum(2.0 - 2.0 * jnp.sum(rows_a * rows_b, axis=-1), 0.0)
        kern = jnp.exp(-t * sq)
        mean = jnp.mean(kern)
        sd = jnp.std(kern, ddof=1)
        return -jnp.log(mean), sd / (jnp.sqrt(float(pairs)) * mean)

    def row(i):
        # client by client, then its N partners one at a time: the gathered pair rows stay
        # small and within a client's block of z (vmapping over client pairs instead gathered
        # from all of z at once: 2x the CPU time at N = 100, m = 327, c = 200; the numbers
        # are the same). The pairs of the N partners are drawn at once, (N, pairs) indices:
        # the same numbers as one partner at a time, with one vectorised threefry pass instead
        # of N small ones (N = 100, m = 327, c = 200, 1,024 pairs, float64, called un-jitted as
        # dssl simulate called it, 2 cores: best of 6 calls 5.8 and 6.4 CPU s against 7.4 and
        # 7.7 one partner at a time, two alternating processes each)
        zi = zn[i]
        js = jnp.arange(n)
        a, b = jax.vmap(lambda j: draw(i, j))(js)
        return lax.map(lambda jab: one(zi, *jab), (js, a, b))

    est, se = lax.map(row, rows)
    return est.reshape(-1, n), se.reshape(-1, n)


def alignment(z: Array, z_pos: Array) -> Array:
    r""":math:`L_{\mathrm{align}} = \mathbb{E}\lVert \hat z - \hat z^+\rVert^2` of normalised
    positive pairs (docs/theory/ssd.md §1.1, α = 2). z, z_pos (m, c)."""
    _shape(z, "z", 2)
    _shape(z_pos, "z_pos", 2)
    if jnp.shape(z) != jnp.shape(z_pos):
        v.fail("z_pos", f"of the shape of z {jnp.shape(z)}", f"shape {jnp.shape(z_pos)}")
    return jnp.mean(jnp.sum((_normalise(z) - _normalise(z_pos)) ** 2, axis=-1))


def weight_distance(W_local: Array, W_global: Array) -> Array:
    r""":math:`\lVert W_i - W_{\mathrm{global}}\rVert_F` per client (paper Table 5's weight
    distance), shape (N,).
    W_local (N, ...), W_global (...)."""
    if jnp.shape(W_local)[1:] != jnp.shape(W_global):
        v.fail(
            "W_global",
            f"of the shape of one client's parameters {jnp.shape(W_local)[1:]}",
            f"shape {jnp.shape(W_global)}",
        )
    n = W_local.shape[0]
    return jnp.linalg.norm((W_local - W_global[None]).reshape(n, -1), axis=1)
