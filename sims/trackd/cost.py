"""What a Track D run will cost, known before its first arm trains.

:func:`planned_arms` lists the arms an experiment trains, in the order it trains them: one
:class:`sims.trackd.arms.ArmKey` each, its mixing spelled ``"fedavg"`` for a FedAvg arm (which
:class:`sims.trackd.arms.Arms` keeps, so a later experiment reads it instead of training it
again) and a tuple for a DecL arm (never kept). :func:`estimate` prices them:

- the work of an arm (and of what an experiment computes after each of its arms: Table 5's
  local round of two clients and their probes): XLA's count of one local step of its network
  (the loss and its gradient on one minibatch, from the lowered program: nothing is
  compiled), times the client steps of its rounds (rounds × clients trained a round × local
  steps), plus one forward pass over the probe's images per evaluation (the untrained
  encoder, the trained one and the learning curve's points), a forward pass costing a third
  of a step per image;
- the time: the work at :data:`RATE` of the backend, plus :data:`ARM_SECONDS` an arm,
  :data:`STEP_SECONDS` a local step of a round and :data:`COMPILE_SECONDS` for each distinct
  program (network, objective, clients and mixing), by the network's architecture;
- the memory: the largest arm's networks and images
  (:func:`sims.trackd.train.networks_bytes`) and the activations of the clients it trains at
  once (:func:`sims.trackd.train.step_activation_bytes` each): all the clients of a round in
  one ``vmap`` on one device; where the arm's clients split evenly over ``devices``
  (:func:`sims.trackd.train.arm_mesh`), one client at a time on each device if a round's
  clients split evenly over them too, else one client at a time in all. For 20 vmapped
  clients of the PAPER-SCALE ViT's SimSiam step the estimate is 1.03 times XLA's temporaries.

The time is one device's. On a CPU the devices share the cores whose rate :data:`RATE` is:
``dssl trackd --experiment fig2a --devices 2`` took 16.1 s against 14.5 s on one device
(docs/track_d.md, "Clients over cores"). On several GPUs it was not measured.

The rates were measured, not assumed: on 2 CPU cores the DEFAULT preset's Table 1 arms ran at
29 GFLOP/s (SimSiam, 9.2 s an arm) to 35 GFLOP/s (MAE, 3.1 s) of XLA's count
(docs/track_d.md, "Where the time goes"), and on an NVIDIA H200 the PAPER-SCALE ViT with 5
clients a round at 2.8 to 3.0 TFLOP/s (docs/track_d.md, "On a GPU"). The random views and
masks are not in XLA's count of the products, so a SimSiam arm takes longer than its share.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from sims.core.trainer import clients_at_once
from sims.trackd.arms import ArmKey
from sims.trackd.experiments import (
    images_of,
    loss_config,
    net_config,
    train_config,
)
from sims.trackd.presets import FIG2B_FRAMEWORKS
from sims.trackd.train import local_step_flops, networks_bytes, step_activation_bytes
from theory import _validate as v

__all__ = [
    "RATE",
    "ARM_SECONDS",
    "STEP_SECONDS",
    "COMPILE_SECONDS",
    "Estimate",
    "planned_arms",
    "schedule",
    "estimate",
    "check_time",
    "describe",
]

#: Floating-point rate of a Track D arm, flop/s of XLA's count, by backend (module docstring).
RATE = {"cpu": 3e10, "gpu": 3e12}
#: Seconds of each arm besides its work, on every backend: the probes' solves and the calls
#: between the steps (the FAST preset's warm arms, 0.1 s each on 2 CPU cores).
ARM_SECONDS = 0.1
#: Seconds of each local step besides its work, by backend: the steps of a round run one after
#: another, so on a GPU a small network's step is bound by its launches, not its flops (the
#: engine's quick cell on an H200: 0.23 ms a round of 5 local steps, docs/performance.md); on
#: a CPU :data:`ARM_SECONDS` holds it.
STEP_SECONDS = {"cpu": 0.0, "gpu": 4.5e-5}
#: Seconds to compile one arm's programs (its round, its encoder's features and probe), by
#: backend and encoder architecture. On 2 CPU cores (AMD EPYC, 2026-11-29,
#: ``benchmarks/trackd_compile.py``: in one process per preset and architecture, an arm of one
#: round of each objective trained twice, the first call less the second) the medians over the
#: four objectives: MLP 5.0 s (2.9 to 5.6; the FAST, DEFAULT and PAPER-SCALE networks), CNN
#: 6.9 s (4.1 to 8.5) and ViT 9.2 s (7.8 to 11.3; PAPER-SCALE's only); an objective after one
#: whose programs it shares (MAR after MAE) compiles in about 60 % of its architecture's
#: median (85 % for the ViT). On the H200 the
#: PAPER-SCALE ViT's first call took 50 s; the MLP and the CNN were not measured there and are
#: priced as the ViT.
COMPILE_SECONDS = {
    "cpu": {"mlp": 5.0, "cnn": 6.9, "vit": 9.2},
    "gpu": {"mlp": 50.0, "cnn": 50.0, "vit": 50.0},
}


class Estimate(NamedTuple):
    """A run's cost before it starts (:func:`estimate`).

    Attributes:
      arms: arms trained. reads: arms read from the run's kept arms instead (an arm two
        experiments share). flops: their work (module docstring). programs: distinct
        programs compiled. seconds: the estimated time. peak_bytes: the largest arm's
        networks, images and activations. backend: "cpu" or "gpu", whose :data:`RATE` was used.
      after: the estimated seconds when each trained arm ends, in the order they train
        (``dssl trackd``'s progress scales its time left by them and ``seconds``).
    """

    arms: int
    reads: int
    flops: float
    programs: int
    seconds: float
    peak_bytes: int
    backend: str
    after: tuple = ()


def _fedavg(c, arch, objective, cpr, n, skew, alpha, seed, partition="hsu") -> ArmKey:
    return ArmKey.of(c, arch, objective, "fedavg", cpr, n, skew, alpha, seed, (), partition)


def _decl(c, arch, objective, n, what: tuple, seed) -> ArmKey:
    return ArmKey.of(c, arch, objective, ("decl",) + what, None, n, "label", 0.0, seed, ())


def _table1(cfg) -> list:
    c, part = cfg.common, cfg.partition
    return [
        _fedavg(c, arch, m, cfg.clients_per_round, cfg.n_clients, skew, cfg.alpha, s, part)
        for s in range(c.seeds) for skew in cfg.skews for arch in cfg.archs for m in cfg.methods
    ]  # fmt: skip


def _fedavg_then_decl(cfg, decl: list) -> list:
    """Per seed, the FedAvg reference (every client a round) and then a DecL arm for each of
    ``decl`` (Fig 2a and Table 6)."""
    c, n = cfg.common, cfg.n_clients
    out = []
    for s in range(c.seeds):
        out.append(_fedavg(c, cfg.arch, "mae", None, n, "label", cfg.alpha, s))
        out += [_decl(c, cfg.arch, "mae", n, what, s) for what in decl]
    return out


def _fig2a(cfg) -> list:  # the complete graph (|Ā| ≥ N) is the FedAvg arm itself
    return _fedavg_then_decl(
        cfg, [(kind, a) for kind in cfg.kinds for a in cfg.abars if a < cfg.n_clients]
    )


def _table6(cfg) -> list:
    return _fedavg_then_decl(cfg, [(rule, a) for a in cfg.abars for rule in cfg.rules])


def _fig2b(cfg) -> list:
    c, n = cfg.common, cfg.n_clients
    complete = ~np.eye(n, dtype=bool)  # any graph: only whether the mixing is spelled matters
    out = []
    for s in range(c.seeds):
        for a in cfg.alphas:
            for f in cfg.frameworks:
                mixing, cpr = FIG2B_FRAMEWORKS[f](cfg, lambda: complete)
                for m in ("mae", "mar"):
                    if isinstance(mixing, str):
                        out.append(_fedavg(c, cfg.arch, m, cpr, n, "label", a, s))
                    else:
                        out.append(_decl(c, cfg.arch, m, n, (f, a), s))
    return out


def _table5(cfg) -> list:
    c, n = cfg.common, cfg.n_clients
    return [_fedavg(c, cfg.arch, m, cfg.clients_per_round, n, "label", cfg.alpha, s)
            for s in range(c.seeds) for m in cfg.methods]  # fmt: skip


_PLANS = {"table1": _table1, "fig2a": _fig2a, "table6": _table6, "fig2b": _fig2b,
          "table5": _table5}  # fmt: skip


def _table5_after(key: ArmKey, image: tuple, n_images: int) -> tuple:
    """(flops, program) of what Table 5 computes after each of its arms, trained or read: one
    more local round of clients 1 and N from the global model
    (:func:`sims.trackd.train.client_update`, a program of its own) and the probes of their two
    local networks."""
    c = key.common
    nc, batch, step, _ = _network(c, key.arch, key.objective, key.clients_per_round, image)
    flops = 2 * c.local_steps * step + 2 * _forward(step, n_images, batch)
    return flops, ("client_update", nc, key.objective)


#: what an experiment computes after each of its arms besides the arm (by experiment name)
_AFTER = {"table5": _table5_after}


def planned_arms(name: str, cfg: Any) -> list[ArmKey]:
    """The arms experiment ``name`` (one of ``sims.trackd.experiments.EXPERIMENTS``) trains or
    reads under ``cfg``, in its order (module docstring); its ``devices`` left empty."""
    return _PLANS[v.choice(name, "experiment", tuple(_PLANS))](cfg)


@functools.lru_cache(maxsize=64)
def _network(c, arch: str, objective: str, cpr, image: tuple) -> tuple:
    """``(net_cfg, batch, flops, activations)`` of an arm's network: XLA's count of one local
    step of one client, from the lowered program, and the bytes of its activations."""
    nc = net_config(c, arch, objective, image)
    batch = train_config(c, cpr, objective).batch_size
    x = jax.ShapeDtypeStruct((batch,) + image, jnp.dtype(nc.dtype))
    lc = loss_config(c, objective, arch)
    flops = local_step_flops(nc, lc, x, compiled=False)
    return nc, batch, flops, step_activation_bytes(nc, lc, x)


def _forward(step: float, n_images: int, batch: int) -> float:
    """The work of one forward pass over ``n_images`` images: a third of a step's per image."""
    return n_images * step / (3 * batch)


def _arm_cost(key: ArmKey, curve_every: int, image: tuple, n_images: int, devices: int) -> tuple:
    """(flops, bytes, program) of one arm, its learning curve a point every ``curve_every``
    rounds (the key holds none), on ``devices``. Arms that differ only in seed, skew or α cost
    the same."""
    cpr = key.clients_per_round if key.kept else None
    return _cost(key.common, key.arch, key.objective, key.n_clients, cpr, key.kept, curve_every,
                 image, n_images, devices)  # fmt: skip


@functools.lru_cache(maxsize=256)
def _cost(c, arch, objective, n, cpr, fedavg, curve_every, image, n_images, devices) -> tuple:
    nc, batch, step, activations = _network(c, arch, objective, cpr, image)
    active = min(train_config(c, cpr, objective).clients_per_round or n, n)
    # sims.trackd.experiments.run_arm: one vmap, or chunk=1 on the arm's mesh (arm_mesh)
    mesh = devices > 1 and n % devices == 0
    at_once = clients_at_once(active, 1, devices) if mesh else active
    every = curve_every if 0 < curve_every < c.rounds else 0
    evaluations = 2 + (-(-c.rounds // every) if every else 0)  # sims.run's calls of on_chunk
    flops = c.rounds * active * c.local_steps * step + evaluations * _forward(step, n_images, batch)
    program = (nc, objective, n, active, fedavg)
    memory = networks_bytes(nc, (n, c.rows) + image) + at_once * activations
    return flops, memory, program


def schedule(cfgs: dict) -> list[tuple[str, ArmKey, bool]]:
    """``(experiment, arm, read)`` for each arm of the experiments ``cfgs`` (name →
    configuration, in the order they run with one :class:`sims.trackd.arms.Arms`, as
    ``dssl trackd`` runs them): ``read`` where the arm is served from an arm trained earlier
    in the run (:meth:`sims.trackd.arms.Arms.get`: the same key, and the same learning curve
    or none asked for)."""
    kept, out = {}, []
    for name, cfg in cfgs.items():
        every = cfg.common.curve_every
        for key in planned_arms(name, cfg):
            read = key in kept and (every == 0 or kept[key] == every)
            if not read and key.kept:
                kept[key] = every
            out.append((name, key, read))
    return out


def estimate(cfgs: dict, backend: str | None = None, devices: int = 1) -> Estimate:
    """The cost of running the experiments ``cfgs`` (as :func:`schedule`'s) on ``backend``
    ("cpu" or "gpu"; None: JAX's) with their clients split over ``devices`` (``dssl trackd
    --devices``; module docstring). Loads each preset's images (their shape and count)."""
    # an accelerator other than a GPU is priced at the GPU's rates
    backend = backend or ("cpu" if jax.default_backend() == "cpu" else "gpu")
    backend = v.choice(backend, "backend", tuple(RATE))
    devices = v.integer(devices, "devices", lo=1)
    rate, compile_s, step_s = RATE[backend], COMPILE_SECONDS[backend], STEP_SECONDS[backend]
    reads, flops, peak, programs, after, clock = 0, 0.0, 0, set(), [], 0.0
    shapes = {}  # an experiment's image shape and count
    for name, key, read in schedule(cfgs):
        c = cfgs[name].common
        if name not in shapes:
            images = images_of(c)
            shapes[name] = (tuple(images.x_train.shape[1:]),
                            images.x_train.shape[0] + images.x_test.shape[0])  # fmt: skip
        image, n_images = shapes[name]
        reads += read
        if not read:
            f, b, program = _arm_cost(key, c.curve_every, image, n_images, devices)
            clock += f / rate + ARM_SECONDS + step_s * c.rounds * c.local_steps
            clock += 0.0 if program in programs else compile_s[key.arch]
            flops, peak = flops + f, max(peak, b)
            programs.add(program)
            after.append(clock)
        if name in _AFTER:  # after the arm, trained or read
            f, program = _AFTER[name](key, image, n_images)
            compiled = 0.0 if program in programs else compile_s[key.arch]
            clock += f / rate + 2 * ARM_SECONDS + compiled
            flops += f
            programs.add(program)
    return Estimate(len(after), reads, flops, len(programs), clock, peak, backend, tuple(after))


def check_time(est: Estimate, preset: Estimate, field: str, value: Any) -> None:
    """Refuse a run estimated longer than both the time budget
    (``theory._validate.check_time``: ``--force-size`` to go further) and ``preset``, the same
    experiments at their preset's own seeds and rounds: a preset is a size this project chose
    and documents (PAPER-SCALE is hours on a CPU), ``--seeds`` and ``--rounds`` past it are
    the caller's. One line naming ``field``, the override, with its ``value``."""
    if est.seconds > preset.seconds:
        v.check_time(field, value, est.seconds, what="Track D")


def describe(est: Estimate) -> str:
    """One line: the arms, the estimated time and the largest arm's memory (networks, images
    and activations).

    Example:
      >>> print(describe(Estimate(54, 9, 1.0e13, 5, 352.8, 85877760, "cpu")))
      ... # doctest: +NORMALIZE_WHITESPACE
      estimate: 54 arms to train (9 more read from arms trained earlier in the run), about
      6 min (1.0e+13 flop at 3e+10 flop/s, 5 programs to compile), largest arm 81.9 MiB
    """
    return (
        f"estimate: {_count(est.arms, 'arm')} to train ({est.reads} more read from arms trained "
        f"earlier in the run), about {_duration(est.seconds)} ({est.flops:.1e} flop at "
        f"{RATE[est.backend]:.0e} flop/s, {_count(est.programs, 'program')} to compile), "
        f"largest arm {v.format_bytes(est.peak_bytes)}"
    )


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' * (n != 1)}"


def _duration(seconds: float) -> str:
    """'45 s', '6 min' or '3.2 h'."""
    if not seconds >= 90:  # NaN too: no flop count from the backend
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"
