"""Federated algorithms as values: each transforms a client's local steps (and carries what
it needs between rounds) and is handed to a trainer like a mixing rule or an optax optimiser
(:class:`sims.core.rounds.ClientAlgorithm`); one algorithm, one module:

* :mod:`sims.algorithms.fedprox`: FedProx's proximal term (Li et al. 2020);
* :mod:`sims.algorithms.scaffold`: SCAFFOLD's control variates (Karimireddy et al. 2020).

No algorithm (``None``) is plain local SGD on the client's loss: FedAvg with FedAvg's mixing,
D-SGD with gossip.
"""
