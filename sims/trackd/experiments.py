"""Track D experiments: pure ``compute(cfg) -> dict`` functions, one per paper table/figure.

Every experiment runs S seeds; within a seed the compared arms share the data split, the
client partition, the tiling and the initial parameters (seed key ``jr.key(1000 + s)``:
``fold_in(·, 1)`` partition, ``fold_in(·, 2)`` tiling, ``fold_in(·, 3)`` graphs,
``fold_in(·, 4)`` network init and engine), so per-seed differences are paired. Accuracy is
the held-out ridge linear-probe accuracy of the global encoder's features, fitted on the
(unstyled) training images; k-NN accuracy and the effective rank are reported alongside.

Results are JSON-serialisable dicts; :func:`sims.trackd.verdicts.decisions` turns them into the
Track D verdicts with the rule written in that module before the runs.

Precision: the experiments are float32 simulations and run with JAX's x64 mode off whatever
the caller's setting (a scoped ``jax.enable_x64(False)``), so the reproduce stage (which
computes under x64) and ``dssl trackd`` give the same numbers; every random draw names its
dtype.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Any

import jax
import jax.random as jr
import numpy as np

from sims.trackd import data as tdata
from sims.trackd import evaluate as ev
from sims.trackd.arms import ArmKey, Arms
from sims.trackd.losses import LossConfig, objective_of
from sims.trackd.models import NetConfig, arch_of, encoder_params, init_params
from sims.trackd.presets import (
    FIG2B_FRAMEWORKS,
    GRAPH_KINDS,
    TABLE6_RULES,
    Common,
    Fig2a,
    Fig2b,
    Table1,
    Table5,
    Table6,
)
from sims.trackd.train import (
    TrainConfig,
    arm_mesh,
    client_update,
    global_net,
    tile_clients,
    train,
)
from theory import _validate as v
from theory import topology
from theory._precision import float32

__all__ = [
    "net_config",
    "min_patches",
    "check_images",
    "loss_config",
    "train_config",
    "raw_pixel_probe",
    "run_arm",
    "table1",
    "fig2a",
    "table6",
    "fig2b",
    "table5",
    "EXPERIMENTS",
]


#: one INFO line per trained arm (``dssl trackd`` shows them on stderr as progress)
log = logging.getLogger(__name__)
#: an INFO line when an arm starts training and after each learning-curve chunk of rounds
#: (``dssl reproduce`` shows the last in its status line; ``dssl trackd`` prints ``log``'s only)
rounds_log = logging.getLogger(__name__ + ".rounds")


def _seed_key(s: int) -> jax.Array:
    return jr.key(1000 + s)


@functools.lru_cache(maxsize=4)
def images_of(common: Common) -> tdata.Images:
    return tdata.load_images(
        common.dataset,
        key=jr.key(0),
        path=common.data_path,
        max_train=common.max_train,
        max_test=common.max_test,
    )


def _setting(common: Common, arch: str, setting: str, shared: Any) -> Any:
    """The preset's own ``<arch>_<setting>`` where the architecture has one and it is set
    (``Arch.own_settings``: ``cnn_p``, ``vit_width``, ...), else the shared value."""
    own = None
    if setting in arch_of(arch).own_settings:
        own = getattr(common, f"{arch}_{setting}")
    return shared if own is None else own


def _own_schedule(methods) -> bool:
    """Whether one of ``methods`` trains with the preset's own SimSiam schedule
    (``Objective.own_schedule``: ``lr_simsiam``, ``batch_simsiam``)."""
    return any(objective_of(m).own_schedule for m in methods)


def net_config(common: Common, arch: str, objective: str, image_shape: tuple) -> NetConfig:
    """The :class:`NetConfig` of an arm: patches from the image shape, sizes from ``common``
    (the architecture's own width, depth and decoder width where the preset sets them)."""
    h, w, c = image_shape
    s = common.patch
    got = f"images of {h}x{w} pixels"
    # the images' faults, not a network setting's: each names the data, never n_patches
    if h < s or w < s or h % s or w % s:  # patchify tiles the image exactly
        v.fail("data_path", f"images whose sides are multiples of the preset's patch size {s}", got)
    if arch_of(arch).image and h != w:  # the CNN re-assembles a square grid of patches
        v.fail("data_path", f"square images for the {arch} (it convolves a square patch grid)", got)
    if objective_of(objective).head == "decoder":
        p = _setting(common, arch, "p", common.p)
        need = min_patches(p)
        if (h // s) * (w // s) < need:
            v.fail("data_path", f"images of at least {need} patches of {s}x{s} pixels (MAE's mask "
                   f"ratio {p} hides no patch of fewer)", got)  # fmt: skip
    return NetConfig(
        arch=arch,
        head=objective_of(objective).head,
        n_patches=(h // s) * (w // s),
        patch_dim=s * s * c,
        channels=c,
        width=_setting(common, arch, "width", common.width),
        depth=_setting(common, arch, "depth", common.depth),
        heads=common.heads,
        embed=common.embed,
        dec_hidden=_setting(common, arch, "dec_hidden", None),
    )


def min_patches(p: float) -> int:
    """The fewest patches P per image on which MAE's mask of ratio ``p`` hides at least one:
    the smallest P with P − max(1, round((1 − p)P)) ≥ 1 (``sims.trackd.losses.patch_mask``
    keeps that many visible). With fewer, MAE has nothing to reconstruct: its loss and
    gradient are 0 and the arm trains nothing.

    Example:
      >>> min_patches(0.75), min_patches(0.5), min_patches(0.1)
      (2, 2, 5)
    """
    p = v.real(p, "p", lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    n = max(2, int(min(0.5 / p, 1e15)) - 2)  # round((1 - p)P) < P needs P > 1/(2p), about
    while n - max(1, int(round((1.0 - p) * n))) < 1:
        n += 1
    return n


def check_images(cfg: Any) -> None:
    """Refuse, before anything trains, images that an arm of ``cfg`` cannot train on:
    sides not multiples of the patch size, non-square images for the CNN, fewer patches
    than MAE's mask ratio needs to hide one (:func:`net_config`'s checks, for every
    architecture and objective of the experiment). Raises ValueError naming ``data_path``."""
    shape = images_of(cfg.common).x_train.shape[1:]
    archs = getattr(cfg, "archs", None) or (cfg.arch,)
    for arch in archs:
        for objective in getattr(cfg, "methods", ("mae",)):
            net_config(cfg.common, arch, objective, shape)


def loss_config(common: Common, objective: str, arch: str = "mlp") -> LossConfig:
    """The :class:`LossConfig` of an arm: the mask ratio (the architecture's own, ``cnn_p``,
    where set), the views and MAE's targets of ``common``."""
    p = _setting(common, arch, "p", common.p)
    return LossConfig(
        objective,
        patch=common.patch,
        p=p,
        shift=common.shift,
        sigma=common.sigma,
        flip=common.flip,
        crop=common.crop,
        mae_augment=common.mae_augment,
        norm_pix=common.norm_pix,
    )


def train_config(
    common: Common, clients_per_round: int | None, objective: str = "mae"
) -> TrainConfig:
    """The :class:`TrainConfig` of an arm: the schedule of ``common``, with the objective's own
    learning rate and batch where it has them (``Objective.own_schedule``: ``lr_simsiam``,
    ``batch_simsiam``)."""
    own = objective_of(objective).own_schedule
    lr = common.lr_simsiam if own and common.lr_simsiam else common.lr
    batch = common.batch_simsiam if own and common.batch_simsiam else common.batch_size
    return TrainConfig(
        rounds=common.rounds,
        local_steps=common.local_steps,
        batch_size=batch,
        lr=lr,
        clients_per_round=clients_per_round,
    )


def _features(common: Common, nc: NetConfig, params: Any, images: tdata.Images) -> tuple:
    z_tr = ev.features(nc, params, images.x_train, common.patch)
    return z_tr, ev.features(nc, params, images.x_test, common.patch)


def _probe(common: Common, images: tdata.Images, z_tr: Any, z_te: Any) -> float:
    return ev.probe(
        z_tr, images.y_train, z_te, images.y_test, n_classes=images.n_classes, ridge=common.ridge
    )


def _probe_of(common: Common, nc: NetConfig, params: Any, images: tdata.Images) -> float:
    """The ridge probe's held-out accuracy on the encoder ``params`` (no k-NN, no rank)."""
    return _probe(common, images, *_features(common, nc, params, images))


def _evaluate(common: Common, nc: NetConfig, params: Any, images: tdata.Images) -> dict:
    """Probe, k-NN and effective rank of the encoder ``params`` on ``images``."""
    z_tr, z_te = _features(common, nc, params, images)
    out = {
        "probe": _probe(common, images, z_tr, z_te),
        "knn": ev.knn(
            z_tr, images.y_train, z_te, images.y_test, k=common.knn_k, n_classes=images.n_classes
        ),
    }
    out.update(ev.effective_rank(z_te))
    return out


@float32
def run_arm(
    common: Common,
    arch: str,
    data: np.ndarray,
    *,
    seed_key: jax.Array,
    objective: str = "mae",
    mixing: Any = "fedavg",
    clients_per_round: int | None = None,
    devices: tuple = (),
) -> tuple[Any, dict]:
    """Train one arm through the engine and evaluate its global encoder (its clients split
    over ``devices`` where they split evenly: :func:`sims.trackd.train.devices_for`).

    The arm's key is ``fold_in(seed_key, 4)`` for every arm of a seed (the arms of one seed
    share initialisation, minibatches and masks; ``fold_in(seed_key, 1..3)`` split the data
    and draw graphs).

    Returns ``(result, metrics)`` with metrics probe / knn / erank / rank / seconds /
    final_loss / untrained_probe (the same encoder at initialisation) and, when
    ``common.curve_every`` > 0, ``curve``: ``{"rounds": [0, k, 2k, …, T], "probe": […]}``, the
    global encoder's probe accuracy after those rounds (round 0: untrained).
    """
    key = jr.fold_in(seed_key, 4)
    images = images_of(common)
    nc = net_config(common, arch, objective, images.x_train.shape[1:])
    lc = loss_config(common, objective, arch)
    # the same encoder before training (train() initialises from fold_in(key, 0)): the floor
    # that tells whether pre-training moved the probe at all
    untrained = _probe_of(common, nc, init_params(nc, key=jr.fold_in(key, 0)), images)
    curve = {"rounds": [0], "probe": [untrained]}

    n_clients = int(np.shape(data)[0])

    def on_chunk(done, res):  # the learning curve reads the probe only
        curve["rounds"].append(int(done))
        curve["probe"].append(_probe_of(common, nc, global_net(res, objective), images))
        rounds_log.info("%s %s, %d clients: round %d of %d", objective, arch, n_clients,
                        int(done), common.rounds)  # fmt: skip

    every = common.curve_every if 0 < common.curve_every < common.rounds else None
    rounds_log.info("%s %s, %d clients: training %d rounds", objective, arch, n_clients,
                    common.rounds)  # fmt: skip
    t0 = time.perf_counter()
    mesh = arm_mesh(int(np.shape(data)[0]), devices)
    # sharded, each device trains its clients one at a time (benchmarks/bench_trackd.py, 2
    # cores: 241 ms per round against 317 ms with each device's clients in one vmap)
    res = train(
        nc, lc, train_config(common, clients_per_round, objective), data, mixing=mixing, key=key,
        mesh=mesh, chunk=None if mesh is None else 1, rounds_per_call=every,
        on_chunk=None if every is None else on_chunk,
    )  # fmt: skip
    metrics = _evaluate(common, nc, global_net(res, objective), images)
    metrics["seconds"] = time.perf_counter() - t0
    metrics["untrained_probe"] = untrained
    if common.curve_every > 0:
        if curve["rounds"][-1] != common.rounds:
            curve["rounds"].append(common.rounds)
            curve["probe"].append(metrics["probe"])
        metrics["curve"] = curve
    metrics["final_loss"] = float(np.asarray(res.trace["loss"])[-1])
    log.info(
        "%s %s, %d clients: probe %.3f (untrained %.3f), %.1f s",
        objective, arch, int(np.shape(data)[0]), metrics["probe"], untrained, metrics["seconds"],
        extra={"trained": True},  # dssl trackd counts the arms trained
    )  # fmt: skip
    return res, metrics


def _arm(arms: Arms | None, common: Common, arch: str, data: np.ndarray, split: tuple,
         seed: int, *, objective: str = "mae", mixing: Any = "fedavg",
         clients_per_round: int | None = None, devices: tuple = (),
         partition: str = "hsu") -> tuple:  # fmt: skip
    """:func:`run_arm` of seed ``seed`` on ``data`` (the split ``(n_clients, skew, α)`` of the
    ``partition`` form), read from ``arms`` where this run trained the same arm already
    (:mod:`sims.trackd.arms`)."""

    def trained():
        return run_arm(common, arch, data, seed_key=_seed_key(seed), objective=objective,
                       mixing=mixing, clients_per_round=clients_per_round,
                       devices=devices)  # fmt: skip

    if arms is None:
        return trained()
    key = ArmKey.of(
        common, arch, objective, mixing, clients_per_round, *split, seed, devices, partition
    )
    return arms.arm(key, common.curve_every, trained)


@functools.lru_cache(maxsize=4)
def raw_pixel_probe(common: Common) -> float:
    """The ridge probe's held-out accuracy on the raw pixels (the floor a learned
    representation should beat)."""
    im = images_of(common)
    n_tr, n_te = im.x_train.shape[0], im.x_test.shape[0]
    return ev.probe(
        im.x_train.reshape(n_tr, -1).astype(np.float64),
        im.y_train,
        im.x_test.reshape(n_te, -1).astype(np.float64),
        im.y_test,
        n_classes=im.n_classes,
        ridge=common.ridge,
    )


def _split(common: Common, n: int, skew: str, alpha: float, key: jax.Array, balanced=False):
    images = images_of(common)
    xs, ys, rep = tdata.split_clients(
        images, n, skew, key=jr.fold_in(key, 1), alpha=alpha, balanced=balanced
    )
    data = tile_clients(xs, common.rows, key=jr.fold_in(key, 2))
    return data, xs, ys, rep


def _chance(common: Common) -> float:
    return 1.0 / images_of(common).n_classes


def _meta(common: Common, **extra) -> dict:
    images = images_of(common)
    return {
        "dataset": common.dataset,
        "n_train": int(images.x_train.shape[0]),
        "n_test": int(images.x_test.shape[0]),
        "image_shape": list(images.x_train.shape[1:]),
        "seeds": common.seeds,
        "rounds": common.rounds,
        "local_steps": common.local_steps,
        "batch_size": common.batch_size,
        "width": common.width,
        "depth": common.depth,
        "cnn_width": common.cnn_width,
        "cnn_depth": common.cnn_depth,
        "cnn_p": common.cnn_p,
        "cnn_dec_hidden": common.cnn_dec_hidden,
        "chance": _chance(common),
        "preset": common.name,
        "raw_pixel_probe": raw_pixel_probe(common),
        **extra,
    }


def _graph(kind: str, n: int, abar: int, key: jax.Array) -> np.ndarray:
    """Undirected graph with mean neighbourhood size |Ā| = abar (degree abar − 1): random
    regular (``uniform``: every |A_i| = abar) or Erdős–Rényi (``general``); complete at N."""
    if abar >= n:
        return topology.complete(n)
    seed = int(jr.randint(key, (), 0, 2**31 - 1, dtype=np.int32))
    return GRAPH_KINDS[kind](n, abar - 1, seed)


# ---------------------------------------------------------------------------------------------


@float32
def table1(cfg: Table1, devices: tuple = (), arms: Arms | None = None) -> dict:
    """Table 1 analogue: probe accuracy and drop from IID for MAE vs SimSiam × arch × skew (FL)."""
    c = cfg.common
    check_images(cfg)
    acc, knn, erank, untrained = (
        {m: {a: {s: [] for s in cfg.skews} for a in cfg.archs} for m in cfg.methods}
        for _ in range(4)
    )
    curves = {}
    reports = {}
    for s in range(c.seeds):
        key = _seed_key(s)
        for skew in cfg.skews:
            data, _, _, rep = _split(c, cfg.n_clients, skew, cfg.alpha, key, cfg.balanced)
            reports.setdefault(skew, []).append({"tv_mean": rep["tv_mean"], "sizes": rep["sizes"]})
            for arch in cfg.archs:
                for m in cfg.methods:
                    _, met = _arm(
                        arms, c, arch, data, (cfg.n_clients, skew, cfg.alpha), s, objective=m,
                        clients_per_round=cfg.clients_per_round, devices=devices,
                        partition=cfg.partition,
                    )  # fmt: skip
                    acc[m][arch][skew].append(met["probe"])
                    knn[m][arch][skew].append(met["knn"])
                    erank[m][arch][skew].append(met["erank"])
                    untrained[m][arch][skew].append(met["untrained_probe"])
                    if "curve" in met:
                        cur = curves.setdefault(f"{m} {arch} {skew}", {"probe": []})
                        cur["rounds"] = met["curve"]["rounds"]
                        cur["probe"].append(met["curve"]["probe"])
    chance = _chance(c)
    cells, drops = [], {}
    for m in cfg.methods:
        for arch in cfg.archs:
            for skew in cfg.skews:
                row = {"method": m, "arch": arch, "skew": skew}
                row["probe"] = ev.summarize_seeds(acc[m][arch][skew], chance=chance)
                row["knn"] = ev.summarize_seeds(knn[m][arch][skew], chance=chance)
                row["erank"] = ev.summarize_seeds(erank[m][arch][skew])
                row["untrained"] = ev.summarize_seeds(untrained[m][arch][skew], chance=chance)
                if skew != "iid" and "iid" in cfg.skews:
                    d = np.asarray(acc[m][arch]["iid"]) - np.asarray(acc[m][arch][skew])
                    row["drop"] = ev.summarize_seeds(d)
                    drops[(m, arch, skew)] = d
                cells.append(row)
    return {
        "meta": _meta(
            c,
            n_clients=cfg.n_clients,
            clients_per_round=cfg.clients_per_round,
            alpha=cfg.alpha,
            framework="fl",
            batch_simsiam=c.batch_simsiam if _own_schedule(cfg.methods) else None,
            # Hsu's Dirichlet (unequal client sizes) or the official code's balanced form
            partition=cfg.partition,
        ),
        "cells": cells,
        "acc": acc,
        "untrained": untrained,
        "curves": curves,
        "partitions": reports,
    }


@float32
def fig2a(cfg: Fig2a, devices: tuple = (), arms: Arms | None = None) -> dict:
    """Fig 2a analogue: DecL MAE accuracy vs |Ā| (general / uniform graphs) and FL reference."""
    c = cfg.common
    check_images(cfg)
    acc = {k: {str(a): [] for a in cfg.abars} for k in cfg.kinds}
    realised = {k: {str(a): [] for a in cfg.abars} for k in cfg.kinds}
    fl, untrained = [], []
    for s in range(c.seeds):
        key = _seed_key(s)
        data, _, _, _ = _split(c, cfg.n_clients, "label", cfg.alpha, key)
        split = (cfg.n_clients, "label", cfg.alpha)
        _, met = _arm(arms, c, cfg.arch, data, split, s, devices=devices)
        fl.append(met["probe"])
        untrained.append(met["untrained_probe"])
        for kind in cfg.kinds:
            for a in cfg.abars:
                if a >= cfg.n_clients:  # the complete graph: uniform mixing J is FedAvg
                    acc[kind][str(a)].append(fl[-1])  # with every client, the FL arm itself
                    realised[kind][str(a)].append(float(cfg.n_clients))
                    continue
                adj = _graph(kind, cfg.n_clients, a, jr.fold_in(jr.fold_in(key, 3), a))
                W = topology.uniform_mixing(adj)
                _, met = run_arm(c, cfg.arch, data, seed_key=key, mixing=W, devices=devices)
                acc[kind][str(a)].append(met["probe"])
                realised[kind][str(a)].append(topology.mean_neighbourhood(adj))
    chance = _chance(c)
    return {
        "meta": _meta(
            c,
            n_clients=cfg.n_clients,
            alpha=cfg.alpha,
            arch=cfg.arch,
            method="mae",
            mixing="uniform 1/|A_i|",
        ),
        "abars": list(cfg.abars),
        "acc": acc,
        # DecL points that are the FL arm (|Ā| ≥ N: the complete graph), trained once as FL
        "same_as_fl": [
            f"{k} |Ā|={a}" for k in cfg.kinds for a in cfg.abars if a >= cfg.n_clients
        ],  # fmt: skip
        "realised_abar": realised,
        "fl": fl,
        "summary": {
            k: {a: ev.summarize_seeds(acc[k][a], chance=chance) for a in acc[k]} for k in acc
        },
        "fl_summary": ev.summarize_seeds(fl, chance=chance),
        "untrained": untrained,
        "untrained_summary": ev.summarize_seeds(untrained, chance=chance),
    }


@float32
def table6(cfg: Table6, devices: tuple = (), arms: Arms | None = None) -> dict:
    """Table 6 analogue: DecL MAE accuracy per mixing rule at each |Ā|, FL reference."""
    c = cfg.common
    check_images(cfg)
    acc = {r: {str(a): [] for a in cfg.abars} for r in cfg.rules}
    fl, untrained = [], []
    for s in range(c.seeds):
        key = _seed_key(s)
        data, xs, _, _ = _split(c, cfg.n_clients, "label", cfg.alpha, key)
        sizes = np.asarray([len(x) for x in xs], np.float64)
        split = (cfg.n_clients, "label", cfg.alpha)
        _, met = _arm(arms, c, cfg.arch, data, split, s, devices=devices)
        fl.append(met["probe"])
        untrained.append(met["untrained_probe"])
        for a in cfg.abars:
            adj = _graph("general", cfg.n_clients, a, jr.fold_in(jr.fold_in(key, 3), a))
            for rule in cfg.rules:
                mixing = TABLE6_RULES[rule](adj, sizes)
                _, met = run_arm(c, cfg.arch, data, seed_key=key, mixing=mixing, devices=devices)
                acc[rule][str(a)].append(met["probe"])
    chance = _chance(c)
    return {
        "meta": _meta(c, n_clients=cfg.n_clients, alpha=cfg.alpha, arch=cfg.arch, method="mae"),
        "abars": list(cfg.abars),
        "acc": acc,
        "fl": fl,
        "summary": {
            r: {a: ev.summarize_seeds(acc[r][a], chance=chance) for a in acc[r]} for r in acc
        },
        "fl_summary": ev.summarize_seeds(fl, chance=chance),
        "untrained": untrained,
        "untrained_summary": ev.summarize_seeds(untrained, chance=chance),
    }


@float32
def fig2b(cfg: Fig2b, devices: tuple = (), arms: Arms | None = None) -> dict:
    """Fig 2b analogue: MAR vs MAE accuracy over α in FL and DecL."""
    c = cfg.common
    check_images(cfg)
    methods = ("mae", "mar")
    acc = {f: {m: {str(a): [] for a in cfg.alphas} for m in methods} for f in cfg.frameworks}
    untrained = []
    for s in range(c.seeds):
        key = _seed_key(s)
        for a in cfg.alphas:
            data, _, _, _ = _split(c, cfg.n_clients, "label", a, key)
            for f in cfg.frameworks:
                mixing, cpr = FIG2B_FRAMEWORKS[f](
                    cfg,
                    lambda key=key: _graph(
                        "general", cfg.n_clients, cfg.decl_abar, jr.fold_in(key, 3)
                    ),
                )
                for m in methods:
                    _, met = _arm(
                        arms, c, cfg.arch, data, (cfg.n_clients, "label", a), s, objective=m,
                        mixing=mixing, clients_per_round=cpr, devices=devices,
                    )  # fmt: skip
                    acc[f][m][str(a)].append(met["probe"])
                    if len(untrained) == s:  # one value per seed: the initial encoder
                        untrained.append(met["untrained_probe"])  # does not depend on α, f, m
    chance = _chance(c)
    return {
        "meta": _meta(
            c,
            n_clients=cfg.n_clients,
            clients_per_round=cfg.clients_per_round,
            arch=cfg.arch,
            decl_abar=cfg.decl_abar,
        ),
        "alphas": list(cfg.alphas),
        "acc": acc,
        "summary": {
            f: {
                m: {a: ev.summarize_seeds(acc[f][m][a], chance=chance) for a in acc[f][m]}
                for m in acc[f]
            }
            for f in acc
        },
        "untrained": untrained,
        "untrained_summary": ev.summarize_seeds(untrained, chance=chance),
    }


@float32
def table5(cfg: Table5, devices: tuple = (), arms: Arms | None = None) -> dict:
    """Table 5 analogue: layer-wise distances local 1 / local N / global after one more local
    round from the final global model, per-client vs global probe, uniformity, rank."""
    c = cfg.common
    check_images(cfg)
    images = images_of(c)
    n = cfg.n_clients
    rows = {m: [] for m in cfg.methods}
    for s in range(c.seeds):
        key = _seed_key(s)
        data, xs, _, _ = _split(c, n, "label", cfg.alpha, key)
        for m in cfg.methods:
            res, met = _arm(
                arms, c, cfg.arch, data, (n, "label", cfg.alpha), s, objective=m,
                clients_per_round=cfg.clients_per_round, devices=devices,
            )  # fmt: skip
            nc = net_config(c, cfg.arch, m, images.x_train.shape[1:])
            lc = loss_config(c, m, cfg.arch)
            tc = train_config(c, cfg.clients_per_round, m)
            start = jax.tree.map(lambda a: a[0], res.params)
            engine_key = jr.fold_in(jr.fold_in(key, 4), 1)
            local = {}
            for i in (0, n - 1):
                p_i, _ = client_update(nc, lc, tc, start, data[i], key=engine_key, t=c.rounds, i=i)
                local[i] = objective_of(m).net(p_i)
            glob = global_net(res, m)
            enc = {k: encoder_params(p) for k, p in (("1", local[0]), ("N", local[n - 1]))}
            enc_g = encoder_params(glob)
            dist = {
                "local1_vs_localN": ev.layer_distances(enc["1"], enc["N"])["sum"],
                "local1_vs_global": ev.layer_distances(enc["1"], enc_g)["sum"],
                "localN_vs_global": ev.layer_distances(enc["N"], enc_g)["sum"],
            }
            per_client = {
                "local1": _probe_of(c, nc, local[0], images),
                "localN": _probe_of(c, nc, local[n - 1], images),
                "global": met["probe"],
                "untrained": met["untrained_probe"],
            }
            m_per = min(64, min(len(x) for x in xs))
            z = np.stack([ev.features(nc, glob, x[:m_per], c.patch) for x in xs])
            uni = ev.uniformity(z)
            rows[m].append(
                {
                    "distances": dist,
                    "probe": per_client,
                    "knn": met["knn"],
                    "erank": met["erank"],
                    "rank": met["rank"],
                    "uniformity_intra": uni["intra_mean"],
                    "uniformity_inter": uni["inter_mean"],
                }
            )
    summary = {m: _table5_summary(rows[m], _chance(c)) for m in cfg.methods}
    return {
        "meta": _meta(
            c,
            n_clients=n,
            clients_per_round=cfg.clients_per_round,
            alpha=cfg.alpha,
            arch=cfg.arch,
            framework="fl",
            batch_simsiam=c.batch_simsiam if _own_schedule(cfg.methods) else None,
        ),  # fmt: skip
        "rows": rows,
        "summary": summary,
    }


def _table5_summary(r: list, chance: float) -> dict:
    """Mean ± SE over seeds of one method's Table 5 row: distances, probes, uniformity, rank."""
    return {
        **{k: ev.summarize_seeds([x["distances"][k] for x in r]) for k in r[0]["distances"]},
        **{
            f"probe_{k}": ev.summarize_seeds([x["probe"][k] for x in r], chance=chance)
            for k in r[0]["probe"]
        },
        "uniformity_intra": ev.summarize_seeds([x["uniformity_intra"] for x in r]),
        "uniformity_inter": ev.summarize_seeds([x["uniformity_inter"] for x in r]),
        "erank": ev.summarize_seeds([x["erank"] for x in r]),
    }


EXPERIMENTS = {"table1": table1, "fig2a": fig2a, "table6": table6, "fig2b": fig2b, "table5": table5}
