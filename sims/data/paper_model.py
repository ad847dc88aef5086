r"""Samples of the paper's data model (Section 3.2, Figure 1 of arXiv 2607.02447).

:func:`sample_paper_model` draws M samples on each of the N clients of a
:class:`theory.datamodel.DataModel`: frequent components
:math:`\pm e_i - \sum_{k \ne i} q_k \tau e_k + \mu\xi` and the
rare component :math:`e_{h_i} + \mu\xi`, with the class weights
:math:`((1-\rho)/2,\ (1-\rho)/2,\ \rho)`. The draws are made
in float64 and cast, so float32 and float64 runs of one key see the same data.

:class:`KeyedPaperSampler` is the same model as a generator: one client's minibatch of B
samples drawn from its own key inside a local step, so that a run holds no sample at all
(memory :math:`N \cdot c \cdot d` for the models, not :math:`N \cdot M \cdot d` for the data;
:mod:`sims.core.engine`).
"""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sims.data._checks import _check_key
from theory import _validate as v
from theory import datamodel as dm
from theory._precision import x64

__all__ = ["sample_paper_model", "KeyedPaperSampler", "SAMPLE_CHUNK_BYTES"]


def check_sample_fits(field: str, n: int, m: int, d: int, value=None) -> None:
    """Refuse (one line naming ``field`` and its ``value``, default ``m``) a draw of ``m``
    samples per client on ``n`` clients in dimension ``d`` that does not fit in memory: the
    float64 draw (x and its Gaussian noise), the cast and the int64 labels are held at once."""
    v.check_fits(
        field,
        m if value is None else value,
        n * m * (3 * 8 * d + 8),
        what="the samples (N, M, d) and their float64 draw",
    )


def sample_paper_model(
    model: dm.DataModel,
    n_per_client: int,
    *,
    key: jax.Array,
    dtype: Any = jnp.float64,
    stratified: bool = False,
) -> tuple[jax.Array, jax.Array]:
    r"""Draw ``n_per_client`` samples on each client of the paper's data model.

    Client i (0-based) draws a component :math:`s \in \{2i-1,\ 2i,\ h_i\}` with weights
    ``theory.datamodel.class_weights`` :math:`((1-\rho)/2,\ (1-\rho)/2,\ \rho)` and then

    $$
    \begin{aligned}
    \text{frequent:}\quad x &= \pm e_i - \sum_{k \in [N] \setminus i} q_k \tau e_k + \mu \xi,
    &\quad q_k &\sim \mathrm{Bernoulli}(1/2) \text{ i.i.d. per } k, \\
    \text{rare:}\quad x &= e_{h_i} + \mu \xi, &\quad \xi &\sim N(0, I_d),
    \end{aligned}
    $$

    with :math:`h_i` from ``theory.datamodel.rare_axes`` (Section 3.2, Figure 1 of
    arXiv 2607.02447). So :math:`\mathbb{E}[x]` = ``client_mean(model)[i]`` and
    :math:`\mathbb{E}[x x^\top]` = ``client_second_moment(model)[i]``.

    Args:
      model: a :class:`theory.datamodel.DataModel`.
      n_per_client: :math:`M \ge 1` samples per client.
      key: JAX PRNG key.
      dtype: float dtype of ``x`` (float64 or float32). The draws are made in float64 and cast,
        so both dtypes see the same data (float32 = the float64 sample rounded to nearest).
      stratified: if True the component counts are fixed (:math:`\operatorname{round}(\rho M)`
        rare samples, the rest split evenly, the odd one to class :math:`2i-1`) and only their
        order is random; if False (default) components are i.i.d. draws from the mixture.

    Returns:
      ``(x, y)``: x of shape (N, M, d), y (N, M) integer labels in :math:`[0, 2N)` (0-based class
      indices from ``theory.datamodel.class_labels``; int64 under x64, else int32).

    Jittable for fixed shapes: ``jax.jit(sample_paper_model, static_argnums=(0, 1))``.

    Example:
      >>> x, y = sample_paper_model(dm.DataModel(d=8, n_clients=3), 5, key=jr.key(0))
      >>> x.shape, y.shape
      ((3, 5, 8), (3, 5))
    """
    if not isinstance(model, dm.DataModel):
        v.fail("model", "a theory.datamodel.DataModel", model)
    m = v.integer(n_per_client, "n_per_client", lo=1)
    check_sample_fits("n_per_client", model.n_clients, m, model.d)
    _check_key(key)
    dtype = jnp.dtype(dtype)
    if dtype not in (jnp.dtype(jnp.float64), jnp.dtype(jnp.float32)):
        v.fail("dtype", "float64 or float32", dtype)
    # Every random number is drawn in float64 (inside a scoped x64 block, whatever the caller's
    # jax_enable_x64) and only then cast to ``dtype``: float32 and float64 runs of the same key
    # see the same samples, up to the final rounding (relative 2^-24 per entry).
    with x64():
        x, y = _sample_core(
            key,
            n=model.n_clients,
            d=model.d,
            m=m,
            tau=model.tau,
            mu=model.mu,
            rare=tuple(int(a) for a in dm.rare_axes(model)),
            labels=tuple(tuple(int(c) for c in row) for row in dm.class_labels(model)),
            weights=tuple(float(w) for w in dm.class_weights(model)),
            rare_fraction=model.rare_fraction,
            stratified=bool(stratified),
            dtype=jnp.dtype(jnp.float64),
        )
        x = x.astype(dtype)
    return x, y.astype(jax.dtypes.canonicalize_dtype(jnp.int64))


@partial(
    jax.jit,
    static_argnames=(
        "n",
        "d",
        "m",
        "tau",
        "mu",
        "rare",
        "labels",
        "weights",
        "rare_fraction",
        "stratified",
        "dtype",
    ),
)
def _sample_core(key, *, n, d, m, tau, mu, rare, labels, weights, rare_fraction, stratified, dtype):
    rare_arr = jnp.asarray(rare)
    label_arr = jnp.asarray(labels)
    base = None
    if stratified:
        n_rare = int(round(rare_fraction * m))
        n_second = (m - n_rare) // 2
        comp = np.concatenate(
            [
                np.zeros(m - n_rare - n_second, np.int64),
                np.ones(n_second, np.int64),
                np.full(n_rare, 2, np.int64),
            ]
        )
        base = jnp.asarray(comp)
    logits = jnp.log(jnp.asarray(weights, dtype=jnp.float64))

    def one_client(i, k):
        return _client_draw(
            k, i, m, n=n, d=d, tau=tau, mu=mu, rare=rare_arr, labels=label_arr, logits=logits,
            base=base, dtype=dtype,
        )  # fmt: skip

    # clients in chunks (lax.map; each chunk one vmap) that divide N, so that the sampling
    # temporaries (threefry bits, the (M, N) offsets) stay near SAMPLE_CHUNK_BYTES instead of a
    # few copies of the whole (N, M, d) sample; the same numbers as one vmap over all clients
    chunk = _sample_chunk(n, m, d)
    if chunk >= n:
        return jax.vmap(one_client)(jnp.arange(n), jr.split(key, n))
    return jax.lax.map(
        lambda a: one_client(*a), (jnp.arange(n), jr.split(key, n)), batch_size=chunk
    )


@dataclasses.dataclass(frozen=True)
class KeyedPaperSampler:
    r"""The paper's data model as a minibatch generator: ``sampler(key, i, batch, dtype)`` is
    ``batch`` fresh samples (B, d) of client i drawn from ``key`` alone (Section 3.2, Figure 1
    of arXiv 2607.02447; the component, offset bits and noise of :func:`sample_paper_model`'s
    per-client draw, i.i.d. components, not stratified).

    The engine hands it the minibatch key of client i at local step s of round t
    (:func:`sims.core.rounds.batch_key`: the key that draws a materialised run's minibatch
    rows), so every batch is a function of (seed, t, i, s) only: not of the other clients,
    the chunking or ``jit``. :math:`\mathbb{E}[x]` = ``theory.datamodel.client_mean(model)[i]``
    and :math:`\mathbb{E}[x x^\top]` = ``theory.datamodel.client_second_moment(model)[i]``
    (``tests/test_keyed_data.py``).

    A value (frozen, hashable: part of a static engine configuration). Draws are made in
    float64 when JAX's x64 mode is on (as :func:`sample_paper_model`, so a float32 run sees
    the float64 draw rounded) and in float32 otherwise (deviation: a float32 run without x64
    sees other, equally distributed, numbers; JAX cannot draw float64 inside such a trace).

    Example:
      >>> s = KeyedPaperSampler(dm.DataModel(d=8, n_clients=3))
      >>> s(jr.key(0), 1, 5, jnp.float32).shape
      (5, 8)
    """

    model: dm.DataModel

    def __post_init__(self) -> None:
        if not isinstance(self.model, dm.DataModel):
            v.fail("model", "a theory.datamodel.DataModel", self.model)

    @property
    def d(self) -> int:
        """The dimension of a sample."""
        return self.model.d

    def __call__(self, key: jax.Array, i, batch: int, dtype: Any) -> jax.Array:
        model = self.model
        draw = jnp.float64 if jax.config.jax_enable_x64 else jnp.float32
        x, _ = _client_draw(
            key, i, int(batch), n=model.n_clients, d=model.d, tau=model.tau, mu=model.mu,
            rare=jnp.asarray(dm.rare_axes(model)), labels=jnp.asarray(dm.class_labels(model)),
            logits=jnp.log(jnp.asarray(dm.class_weights(model), dtype=draw)), base=None,
            dtype=draw,
        )  # fmt: skip
        return x.astype(dtype)


def _client_draw(k, i, m: int, *, n, d, tau, mu, rare, labels, logits, base, dtype):
    """``(x (m, d), y (m,))``: m samples of client i (0-based, possibly traced) from the key
    ``k``, the one draw of the paper's model (components from ``logits``, or a permutation of
    the stratified ``base`` when given; the N offset bits q; the noise ξ), shared by the
    materialised sample (:func:`sample_paper_model`) and the keyed minibatches
    (:class:`KeyedPaperSampler`)."""
    k_comp, k_q, k_xi = jr.split(k, 3)
    s = (
        jr.permutation(k_comp, base)
        if base is not None
        else jr.categorical(k_comp, logits, shape=(m,))
    )
    q = jr.bernoulli(k_q, 0.5, (m, n)).astype(dtype)
    own = jax.nn.one_hot(i, n, dtype=dtype)
    offset = -tau * q * (1 - own)  # zero on the client's own axis i
    sign = jnp.where(s == 0, 1.0, -1.0).astype(dtype)
    freq = sign[:, None] * own[None, :] + offset  # (M, N) on coordinates e_1..e_N
    freq = jnp.pad(freq, ((0, 0), (0, d - n)))
    rare_x = jnp.broadcast_to(jax.nn.one_hot(rare[i], d, dtype=dtype), (m, d))
    xi = jr.normal(k_xi, (m, d), dtype=dtype)
    x = jnp.where((s == 2)[:, None], rare_x, freq) + mu * xi
    return x, labels[i][s]


#: Bytes of sampling temporaries per chunk of clients (one chunk is sampled at a time).
SAMPLE_CHUNK_BYTES = 256 << 20


def _sample_chunk(n: int, m: int, d: int) -> int:
    """Clients sampled at once: the largest divisor of N whose temporaries (about
    8·M·(4d + 2N) bytes per client, float64) fit :data:`SAMPLE_CHUNK_BYTES` (at least 1). A
    divisor, so that the chunks' outputs stack into (N, M, d) without a remainder copy.

    >>> _sample_chunk(100, 8000, 256), _sample_chunk(4, 10, 8)
    (2, 4)
    """
    cap = max(1, SAMPLE_CHUNK_BYTES // max(1, 8 * m * (4 * d + 2 * n)))
    return max(k for k in range(1, min(n, cap) + 1) if n % k == 0)
