r"""The paper's non-IID data model (Section 3.2, Figure 1 of arXiv 2607.02447).

Client ``i`` (1-based in the paper, 0-based here) holds three classes:

$$
\begin{aligned}
\text{frequent class } 2i-1: &\quad x = +e_i - \sum_{k \in [N] \setminus \{i\}} q_k \tau e_k
+ \mu \xi, \\
\text{frequent class } 2i: &\quad x = -e_i - \sum_{k \in [N] \setminus \{i\}} q_k \tau e_k
+ \mu \xi, \\
\text{rare class } h_i: &\quad x = e_{h_i} + \mu \xi,
\end{aligned}
$$

with :math:`q_k \sim \mathrm{Bernoulli}(1/2)` independently per coordinate (camera-ready
reading), :math:`\xi \sim N(0, I_d)`. The two frequent classes have weight :math:`(1 - \rho)/2`
each and the rare class weight ρ (``rare_fraction``). Defaults follow the theorems:
:math:`\tau = d^{1/5}`, :math:`\mu = d^{-1/5}`; the embedding width defaults to :math:`c = 2N`.

Where the rare class lives is ambiguous in the paper (:math:`h_i` is a *class* index in
:math:`[2N] \setminus \{2i-1, 2i\}` but is used as a *coordinate*); ``rare_axis`` exposes the
readings:

* ``"class-index"`` (default, literal): :math:`h_i = 2((i \bmod N) + 1) - 1`, the first frequent
  class of the next client, used as the coordinate :math:`e_{h_i}`. Some of these axes are other
  clients' own axes (:math:`h_i \le N`), the others lie in :math:`e_{N+1}, \dots, e_{2N}`.
* ``"next-client"``: the axis is :math:`e_{(i \bmod N)+1}`, the next client's own axis — the
  analogue of Liu et al. (2022), whose rare class lives on the offset axis.
* ``"extra"``: a dedicated axis :math:`e_{N+i}` per client.
* a tuple of N 1-based coordinates, one per client.

In every reading the rare class's *label* is the class index
:math:`h_i = 2((i \bmod N) + 1) - 1`.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from theory import _validate as v

RareAxis = str | tuple
RARE_AXIS_MODES = ("class-index", "next-client", "extra")


#: Largest τ and μ accepted: the fourth moments (∝ τ⁴N², μ⁴d²) of the MIM targets must stay
#: finite in float64 (≤ 1e308), which 1e50 guarantees for any N, d below 1e100.
MAX_SCALE = 1e50


def _model(model) -> "DataModel":
    if not isinstance(model, DataModel):
        v.fail_type("model", "a theory.datamodel.DataModel", model)
    return model


@dataclasses.dataclass(frozen=True)
class DataModel:
    r"""Parameters of the paper's data model (Section 3.2).

    Args:
      d: input dimension, at least 2N (rare axes may use :math:`e_{N+1}, \dots, e_{2N}`).
      n_clients: N ≥ 2.
      tau: offset scale τ > 0; ``None`` means :math:`d^{1/5}`.
      mu: noise scale μ > 0; ``None`` means :math:`d^{-1/5}`.
      rare_fraction: weight :math:`\rho \in [0, 1)` of the rare class on each client.
      rare_axis: one of ``RARE_AXIS_MODES`` or a tuple of N 1-based coordinates.
      c: embedding width, :math:`1 \le c \le d`; ``None`` means 2N (the paper's :math:`c \ge 2N`).

    Example:
      >>> m = DataModel(d=400, n_clients=4)
      >>> round(m.tau, 4), round(m.mu, 4), m.c
      (3.3145, 0.3017, 8)
    """

    d: int
    n_clients: int
    tau: float | None = None
    mu: float | None = None
    rare_fraction: float = 0.05
    rare_axis: RareAxis = "class-index"
    c: int | None = None

    def __post_init__(self) -> None:
        n = v.integer(self.n_clients, "n_clients", lo=2)
        d = v.integer(self.d, "d", lo=2 * n, why="2·n_clients")
        big = MAX_SCALE
        tau = d**0.2 if self.tau is None else v.real(self.tau, "tau", lo=0.0, hi=big, lo_open=True)
        mu = d**-0.2 if self.mu is None else v.real(self.mu, "mu", lo=0.0, hi=big, lo_open=True)
        rho = v.real(self.rare_fraction, "rare_fraction", lo=0.0, hi=1.0, hi_open=True)
        c = 2 * n if self.c is None else v.integer(self.c, "c", lo=1, hi=d)
        if c > d:
            v.fail("c", f"an integer in [1, d={d}]", c)
        axis = self.rare_axis
        if isinstance(axis, str):
            v.choice(axis, "rare_axis", RARE_AXIS_MODES)
        else:
            try:
                axis = tuple(axis)
            except TypeError:
                v.fail_type("rare_axis", "a mode name or a tuple of 1-based coordinates", axis)
            axis = tuple(v.integer(a, "rare_axis", lo=1, hi=d) for a in axis)
            if len(axis) != n:
                v.fail("rare_axis", f"a mode or a tuple of n_clients={n} coordinates", axis)
        for name, value in (
            ("d", d),
            ("n_clients", n),
            ("tau", float(tau)),
            ("mu", float(mu)),
            ("rare_fraction", rho),
            ("c", c),
            ("rare_axis", axis),
        ):
            object.__setattr__(self, name, value)


def rare_labels(model: DataModel) -> np.ndarray:
    r"""0-based label of each client's rare class: :math:`h_i - 1` with
    :math:`h_i = 2((i \bmod N) + 1) - 1`."""
    _model(model)
    n = model.n_clients
    return np.array([2 * ((i + 1) % n) for i in range(n)], dtype=np.int64)


def rare_axes(model: DataModel) -> np.ndarray:
    """0-based coordinate of each client's rare-class axis :math:`e_{h_i}`, shape (N,)."""
    _model(model)
    n = model.n_clients
    if model.rare_axis == "class-index":
        return rare_labels(model).copy()
    if model.rare_axis == "next-client":
        return np.array([(i + 1) % n for i in range(n)], dtype=np.int64)
    if model.rare_axis == "extra":
        return np.arange(n, 2 * n, dtype=np.int64)
    return np.asarray(model.rare_axis, dtype=np.int64) - 1


def class_labels(model: DataModel) -> np.ndarray:
    """0-based labels (N, 3) of each client's components: (:math:`2i`, :math:`2i+1`, rare)."""
    _model(model)
    n = model.n_clients
    own = np.arange(n, dtype=np.int64)
    return np.stack([2 * own, 2 * own + 1, rare_labels(model)], axis=1)


def class_weights(model: DataModel) -> np.ndarray:
    """Mixture weights (3,) of (class :math:`2i-1`, class :math:`2i`, rare class) on every
    client."""
    _model(model)
    rho = model.rare_fraction
    return np.array([(1 - rho) / 2, (1 - rho) / 2, rho])


def class_means(model: DataModel) -> np.ndarray:
    r"""Mean of each component, shape (N, 3, d): :math:`\pm e_i - \frac{\tau}{2}\sum_{k\ne i} e_k`,
    and :math:`e_{h_i}`."""
    _model(model)
    n, d, tau = model.n_clients, model.d, model.tau
    out = np.zeros((n, 3, d))
    h = rare_axes(model)
    for i in range(n):
        offset = np.zeros(d)
        offset[:n] = -tau / 2
        offset[i] = 0.0
        out[i, 0] = offset
        out[i, 0, i] += 1.0
        out[i, 1] = offset
        out[i, 1, i] -= 1.0
        out[i, 2, h[i]] = 1.0
    return out


#: dense float64 (N, d, d) arrays the population moments and targets hold at once (the
#: (N, 3, d, d) class moments, their mixture, the target and its working copies): the memory
#: estimate of :func:`check_dense_fits`
DENSE_COPIES = 7
#: Bytes of the dense class moments of one block of clients in
#: ``theory.objectives.target_blocks`` (a run's targets summarised a block at a time).
SUMMARY_BLOCK_BYTES = 64 << 20


def check_dense_fits(
    model: DataModel, *, clients: int | None = None, force_size: bool = False
) -> None:
    """Refuse, before allocating, a model whose dense (N, d, d) moments exceed the memory
    budget (half this machine's memory; ``force_size`` goes further); ``clients``: those of a
    block of that many clients only (:func:`class_second_moments` of a range). The structured
    solvers (``theory.structured``) handle any d without them.

    >>> try:
    ...     check_dense_fits(DataModel(d=10**6, n_clients=4))
    ... except ValueError as err:
    ...     print(str(err)[:71])
    model: must be small enough for the dense (N, d, d) moments to fit in m
    """
    _model(model)
    n, d = model.n_clients, model.d
    if clients is None:
        shown, what = f"d = {d}, n_clients = {n}", "the dense (N, d, d) moments"
    else:
        n = v.integer(clients, "clients", lo=1, hi=model.n_clients)
        shown, what = f"d = {d}, a block of {n} clients", "the dense moments of a block of clients"
    v.check_fits("model", _Shown(f"{shown} (theory.structured needs no dense matrix)"),
                 DENSE_COPIES * 8 * n * d * d, what=what, force=force_size)  # fmt: skip


def raised_sweep(sweep, n_clients: int) -> tuple:
    """A default d-sweep at N clients: the sweep times the least whole factor that makes its
    smallest dimension at least 2N (the least d of the paper's data model), so that it stays a
    sweep of the same ratios.

    >>> raised_sweep((100, 200, 400), 4), raised_sweep((100, 200, 400), 60)
    ((100, 200, 400), (200, 400, 800))
    >>> raised_sweep((400, 10**6), 300)
    (800, 2000000)
    """
    sweep = tuple(int(d) for d in sweep)
    factor = max(1, -(-2 * int(n_clients) // min(sweep)))
    return tuple(factor * d for d in sweep)


def summary_block(n: int, d: int, block_bytes: int = SUMMARY_BLOCK_BYTES) -> int:
    """Clients per block of ``theory.objectives.target_blocks``: their class moments (3 d × d
    float64 matrices a client) about ``block_bytes``, at least one, at most N.

    >>> summary_block(500, 1000), summary_block(100, 256), summary_block(4, 10**5)
    (2, 42, 1)
    """
    return max(1, min(n, block_bytes // (3 * 8 * d * d)))


class _Shown(str):
    def __repr__(self) -> str:
        return str(self)


def class_second_moments(model: DataModel, clients: range | None = None) -> np.ndarray:
    r""":math:`\mathbb{E}[x x^\top]` of each component, shape (N, 3, d, d); of the clients in the
    range ``clients`` only (default all), shape (len(clients), 3, d, d).

    Frequent classes:

    $$
    e_i e_i^\top \mp \frac{\tau}{2}(e_i o^\top + o e_i^\top) + \tau^2\, \mathbb{E}[q q^\top]
    + \mu^2 I
    $$

    (the :math:`\tau^2\, \mathbb{E}[q q^\top]` term on the offset block), where
    :math:`o = \sum_{k \ne i} e_k` and :math:`\mathbb{E}[q_k q_l] = 1/4 + \delta_{kl}/4`. Rare
    class: :math:`e_h e_h^\top + \mu^2 I`. Refused before allocating above the memory budget
    (:func:`check_dense_fits`).
    """
    _model(model)
    n, d, tau, mu = model.n_clients, model.d, model.tau, model.mu
    rows = client_range(clients, n)
    check_dense_fits(model, clients=None if clients is None else len(rows))
    out = np.zeros((len(rows), 3, d, d))
    h = rare_axes(model)
    eye = np.eye(d)
    for row, i in enumerate(rows):
        offsets = [k for k in range(n) if k != i]
        block = np.zeros((d, d))
        block[np.ix_(offsets, offsets)] = tau**2 / 4
        block[offsets, offsets] = tau**2 / 2
        for s, sign in ((0, 1.0), (1, -1.0)):
            m = block.copy()
            m[i, i] += 1.0
            m[i, offsets] += -sign * tau / 2
            m[offsets, i] += -sign * tau / 2
            out[row, s] = m + mu**2 * eye
        out[row, 2] = mu**2 * eye
        out[row, 2, h[i], h[i]] += 1.0
    return out


def client_range(clients: range | None, n: int) -> range:
    """``clients`` (default all N), checked: a non-empty range of step 1 within [0, N); a
    one-line error naming ``clients`` otherwise.

    >>> client_range(None, 3), client_range(range(1, 3), 3)
    (range(0, 3), range(1, 3))
    """
    if clients is None:
        return range(n)
    ok = isinstance(clients, range) and clients.step == 1
    if not ok or not 0 <= clients.start < clients.stop <= n:
        v.fail("clients", f"a non-empty range of clients within range(0, {n}), step 1", clients)
    return clients


def client_mean(model: DataModel) -> np.ndarray:
    r""":math:`\mathbb{E}[x]` on each client, shape (N, d)."""
    _model(model)
    return np.einsum("s,nsd->nd", class_weights(model), class_means(model))


def client_second_moment(model: DataModel, clients: range | None = None) -> np.ndarray:
    r""":math:`\mathbb{E}[x x^\top]` on each client (the population CL target of Eq. 2), shape
    (N, d, d); of the clients in the range ``clients`` only (default all)."""
    _model(model)
    return np.einsum("s,nsde->nde", class_weights(model), class_second_moments(model, clients))


def second_moment_symbolic(d: int, n_clients: int, client: int, rare_axis: int):
    r"""sympy derivation of :math:`\mathbb{E}[x]` and :math:`\mathbb{E}[x x^\top]` on one client, in
    the symbols τ, μ, ρ.

    Builds x of each component symbolically — :math:`q_k \sim \mathrm{Bernoulli}(1/2)` and
    :math:`\xi_k \sim N(0, 1)` as independent symbols — expands :math:`x x^\top` and applies
    :math:`\mathbb{E}[q_k^a] = 1/2` (:math:`a \ge 1`), :math:`\mathbb{E}[\xi_k] = 0`,
    :math:`\mathbb{E}[\xi_k^2] = 1` monomial by monomial, then mixes the components with weights
    :math:`((1 - \rho)/2, (1 - \rho)/2, \rho)`. Independent of :func:`class_second_moments` (an
    oracle for it).

    Args:
      d: dimension (small: the matrix is built entry by entry).
      n_clients: N.
      client: 0-based client index i.
      rare_axis: 0-based coordinate of the rare-class axis :math:`e_{h_i}`.

    Returns:
      ``(mean, second, (tau, mu, rho))``: sympy Matrices (d, 1) and (d, d) and the symbols.
    """
    import sympy as sp

    n = v.integer(n_clients, "n_clients", lo=2)
    d = v.integer(d, "d", lo=2 * n, why="2·n_clients")
    i = v.integer(client, "client", lo=0, hi=n - 1)
    h = v.integer(rare_axis, "rare_axis", lo=0, hi=d - 1)
    tau, mu, rho = sp.symbols("tau mu rho", positive=True)
    q = sp.symbols(f"q0:{n}")
    xi = sp.symbols(f"xi0:{d}")

    def expect(expr):
        poly = sp.Poly(sp.expand(expr), *q, *xi)
        total = sp.Integer(0)
        for monom, coeff in poly.terms():
            factor = sp.Integer(1)
            for a in monom[:n]:
                factor *= sp.Rational(1, 2) if a > 0 else 1
            for a in monom[n:]:
                factor *= (1, 0, 1)[a]  # E[ξ⁰], E[ξ¹], E[ξ²]; degree ≤ 2 here
            total += coeff * factor
        return sp.simplify(total)

    comps = []
    for sign in (1, -1):
        x = [mu * xi[k] for k in range(d)]
        x[i] += sign
        for k in range(n):
            if k != i:
                x[k] -= q[k] * tau
        comps.append(x)
    rare = [mu * xi[k] for k in range(d)]
    rare[h] += 1
    comps.append(rare)
    weights = ((1 - rho) / 2, (1 - rho) / 2, rho)
    mean = sp.zeros(d, 1)
    second = sp.zeros(d, d)
    for w, x in zip(weights, comps, strict=True):
        for k in range(d):
            mean[k] += w * expect(x[k])
            for l in range(k, d):
                second[k, l] += w * expect(x[k] * x[l])
    for k in range(d):
        mean[k] = sp.simplify(mean[k])
        for l in range(k, d):
            second[k, l] = sp.simplify(second[k, l])
            second[l, k] = second[k, l]
    return mean, second, (tau, mu, rho)
