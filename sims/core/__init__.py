"""The simulator shared by Tracks C and D: it is handed values (a method's loss and views, a
mixing rule, an optimiser) and knows no stage or command.

* :mod:`sims.core.config`: the one PRNG key tree and :class:`~sims.core.config.EngineSettings`,
  what the engine reads of a configuration (its names resolved by
  ``sims.trackc.engine_config.EngineConfig``);
* :mod:`sims.core.client`: one client (its loss, optimiser and E local steps), then ``vmap``;
* :mod:`sims.core.problem`: a run's arrays (targets, samples, mixing matrix, weights), validated;
* :mod:`sims.core.engine`: the one round of every trainer (vmap over clients, mixing,
  ``lax.scan`` over rounds), handed its clients as a value (:class:`~sims.core.engine.Clients`:
  Track C's, or :func:`sims.run`'s), and sweeps (many runs, one compilation);
* :mod:`sims.core.recorded`: what a round records (consensus distance, ζ², global loss,
  divergence);
* :mod:`sims.core.rounds`: the pieces of a round (keys, the local loop, client batching,
  mixing, the run loop);
* :mod:`sims.core.mixing`: the mixing rules handed to a round (FedAvg, gossip, push-sum);
* :mod:`sims.core.trainer`: :func:`sims.run`, any user model with FedAvg, gossip or push-sum:
  the engine's round handed the user's loss and data;
* :mod:`sims.core.sharding`, :mod:`sims.core.environ`: devices and the process environment.

Nothing here imports the wings (:mod:`sims.trackc`, :mod:`sims.trackd`), the verdict map,
:mod:`sims.reproduce` or :mod:`sims.commands` (``tests/test_layout.py``).
"""
