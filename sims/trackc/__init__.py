"""Track C: the paper's claims checked on linear encoders trained by :mod:`sims.core`.

* :mod:`sims.trackc.runs`: the trained runs behind every Track C verdict;
* :mod:`sims.trackc.measures`: RV, sensitivities and principal angles of those runs;
* :mod:`sims.trackc.rules`: the verdict rules as functions of measured numbers;
* :mod:`sims.trackc.evidence`: one function per claim, numbers → verdict;
* :mod:`sims.trackc.consensus`: consensus distance and drift against their derived bounds;
* :mod:`sims.trackc.experiments` and :mod:`sims.trackc.presets`: Section 6 (Fig. 2a, Table 6,
  Fig. 2b, MIM vs CL) with linear encoders, and the consensus experiment;
* :mod:`sims.trackc.simulate_rounds`: the memory plan and chunked rounds of ``dssl simulate``.

The engine timed against the loop, numpy and PyTorch organisations (``dssl bench``) is
benchmarking code: ``benchmarks/timing.py`` and ``benchmarks/baselines.py``.
"""
