"""Sampling, stochastic losses, the vmapped FL/DecL training engine, metrics, sweeps,
the verification report and the ``dssl`` command line. Uses :mod:`theory` for every closed
form it is checked against; :mod:`theory` never imports this package.
"""
