"""The simulator shared by Tracks C and D: it is handed values (a method's loss and views, a
mixing rule, an optimiser) and knows no stage or command.

* :mod:`sims.core.config`: the one PRNG key tree and :class:`~sims.core.config.EngineSettings`,
  what the engine reads of a configuration (its names resolved by
  ``sims.trackc.engine_config.EngineConfig``);
* :mod:`sims.core.client`: one client (its loss, optimiser and E local steps), then ``vmap``;
* :mod:`sims.core.problem`: a run's arrays (targets, samples, mixing matrix, weights), validated;
* :mod:`sims.core.engine`: the round (vmap over clients, mixing, ``lax.scan`` over rounds)
  and sweeps (many runs, one compilation);
* :mod:`sims.core.recorded`: what a round records (consensus distance, ζ², global loss,
  divergence);
* :mod:`sims.core.rounds`: the pieces of a round shared by the engine and the trainer;
* :mod:`sims.core.mixing`: the mixing rules handed to a round (FedAvg, gossip, push-sum), the
  values both the engine and the trainer call;
* :mod:`sims.core.trainer`: :func:`sims.run`, any user model with FedAvg, gossip or push-sum;
* :mod:`sims.core.sharding`, :mod:`sims.core.environ`: devices and the process environment.

Nothing here imports the wings (:mod:`sims.trackc`, :mod:`sims.trackd`), the verdict map,
:mod:`sims.reproduce` or :mod:`sims.commands` (``tests/test_layout.py``).
"""
