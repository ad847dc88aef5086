"""Pure mathematics of arXiv 2607.02447: the data model, exact linear SSL optima, graph
spectra, and the paper's bounds. No training loops and no file I/O live here.

Importing this package switches JAX to float64: every theory quantity is computed in
double precision. Simulations in :mod:`sims` choose their dtype explicitly.
"""

import jax

jax.config.update("jax_enable_x64", True)
