"""Pure mathematics of arXiv 2607.02447: the data model, exact linear SSL optima, graph
spectra, and the paper's bounds. No training loops and no file I/O live here.

Theory quantities are computed in float64 without touching the caller's JAX settings:
every public routine that uses JAX runs inside a scoped ``jax.enable_x64(True)``, so importing
this package leaves ``jax_enable_x64`` as it was.
Simulations in :mod:`sims` choose their dtype explicitly.
"""
