"""Track D's estimate before a run (sims.trackd.cost): its plan is the arms the experiments
train and read, in their order; its work is XLA's count; the command prints it, counts the
arms as they train and refuses --rounds/--seeds past the time budget."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sims.trackd import cost, presets
from sims.trackd import experiments as ex


def _fast(name, seeds=2):
    cfg = presets.preset("fast", name)
    return dataclasses.replace(cfg, common=dataclasses.replace(cfg.common, seeds=seeds))


def test_the_plan_is_the_arms_the_experiments_train_and_read(monkeypatch, caplog):
    """DEFAULT's Table 1 (and FAST's in the balanced partition), Fig 2a, Table 6 and Fig 2b
    with its DecL framework, with one Arms, each arm's training replaced by a record of what
    it was handed: the FedAvg arms' keys (every field: split, α, seed, partition), the DecL
    arms and the count read are the schedule's. Table 5 reads what the networks trained, so
    the tiny real run below checks its plan."""
    from sims.core.trainer import Result
    from sims.trackd.arms import Arms

    fedavg, decl = [], []

    class Recording(Arms):
        def arm(self, key, curve_every, train):
            if key.kept and self.get(key, curve_every=curve_every) is None:
                fedavg.append(key)
            return super().arm(key, curve_every, train)

    def fake_run_arm(common, arch, data, *, seed_key, objective="mae", mixing="fedavg",
                     clients_per_round=None, devices=()):  # fmt: skip
        n = int(np.shape(data)[0])
        if not isinstance(mixing, str):
            decl.append((arch, objective, n))
        met = {"probe": 0.5, "knn": 0.5, "erank": 1.0, "untrained_probe": 0.3}
        return Result({"w": np.ones((n, 2))}, {"w": np.ones(2)}, {}, np.ones(n)), met

    monkeypatch.setattr(ex, "run_arm", fake_run_arm)
    fig2b = presets.preset("default", "fig2b")
    runs = [
        {n: presets.preset("default", n) for n in ("table1", "fig2a", "table6")}
        | {"fig2b": dataclasses.replace(fig2b, frameworks=("fl", "decl"))},
        {"table1": dataclasses.replace(_fast("table1"), balanced=True)},
    ]
    seen = []
    for cfgs in runs:
        fedavg.clear(), decl.clear(), caplog.clear()
        arms = Recording()
        with caplog.at_level("INFO", logger=ex.log.name):
            for name, cfg in cfgs.items():
                ex.EXPERIMENTS[name](cfg, arms=arms)
        plan = cost.schedule(cfgs)
        assert fedavg == [k for _, k, read in plan if k.kept and not read]
        planned_decl = [(k.arch, k.objective, k.n_clients) for _, k, read in plan
                        if not k.kept]  # fmt: skip
        assert decl == planned_decl
        reads = sum("read from this run's arms" in r.getMessage() for r in caplog.records)
        assert reads == sum(read for *_, read in plan)
        seen.append((len(decl), reads, {k.partition for k in fedavg}))
    assert seen[0][0] > 0 and seen[0][1] > 0  # DecL arms; Table 6 reads Fig 2a's reference
    assert seen[0][2] == {"hsu"}
    assert seen[1][2] == {"balanced"}


def test_the_estimate_counts_the_arms_a_real_run_trains(caplog):
    """Table 1 then Table 5 with one Arms, really trained (tiny): the log's trained arms (the
    records ``dssl trackd`` counts) and reads are the estimate's."""
    from sims.trackd.arms import Arms

    tiny = presets.Common(width=8, depth=1, heads=2, embed=4, rounds=1, local_steps=1,
                          batch_size=4, rows=8, seeds=1, max_train=120, max_test=40)  # fmt: skip
    cfgs = {
        "table1": presets.Table1(
            tiny, archs=("mlp",), skews=("label",), n_clients=3, clients_per_round=None
        ),  # fmt: skip
        "table5": presets.Table5(tiny, n_clients=3, clients_per_round=None, arch="mlp"),
    }
    arms = Arms()
    with caplog.at_level("INFO", logger=ex.log.name):
        for name, cfg in cfgs.items():
            ex.EXPERIMENTS[name](cfg, arms=arms)
    records = [r for r in caplog.records if r.name == ex.log.name]
    est = cost.estimate(cfgs, "cpu")
    assert est.arms == sum(getattr(r, "trained", False) for r in records) == 3  # + MAR
    assert est.reads == sum("read from this run's arms" in r.getMessage() for r in records) == 2
    assert len(est.after) == est.arms and np.all(np.diff(est.after) > 0)


def test_the_work_is_xlas_count_of_the_client_steps():
    """One arm's work: rounds × clients a round × local steps × XLA's count of one step (the
    compiled count within 15 % of the lowered one), plus the probes' forward passes; Table 5
    adds, after each arm, one more local round of two clients and their two probes, a program
    of its own."""
    from sims.trackd.train import local_step_flops

    cfg = _fast("table5", seeds=1)
    common = dataclasses.replace(cfg.common, curve_every=0)  # the probes: untrained, trained
    cfg = dataclasses.replace(cfg, common=common, methods=("mae",))
    c = cfg.common
    im = ex.images_of(c)
    shape = im.x_train.shape[1:]
    nc, lc = ex.net_config(c, "mlp", "mae", shape), ex.loss_config(c, "mae")
    batch = np.zeros((c.batch_size,) + shape, np.float32)
    step = local_step_flops(nc, lc, batch, compiled=False)
    assert step == pytest.approx(local_step_flops(nc, lc, batch), rel=0.15)
    steps = c.rounds * cfg.clients_per_round * c.local_steps
    probe = (im.x_train.shape[0] + im.x_test.shape[0]) * step / (3 * c.batch_size)
    table1 = presets.Table1(c, methods=("mae",), archs=("mlp",), skews=("label",),
                            n_clients=cfg.n_clients,
                            clients_per_round=cfg.clients_per_round)  # fmt: skip
    est = cost.estimate({"table1": table1}, "cpu")
    assert est.flops == pytest.approx(steps * step + 2 * probe, rel=1e-12)
    fixed = cost.ARM_SECONDS + cost.COMPILE_SECONDS["cpu"]["mlp"]
    assert est.seconds == pytest.approx(est.flops / cost.RATE["cpu"] + fixed, rel=1e-12)
    five = cost.estimate({"table5": cfg}, "cpu")
    after = 2 * c.local_steps * step + 2 * probe
    assert five.flops == pytest.approx(est.flops + after, rel=1e-12)
    assert five.programs == 2 and five.after == est.after
    fixed = 3 * cost.ARM_SECONDS + 2 * cost.COMPILE_SECONDS["cpu"]["mlp"]
    assert five.seconds == pytest.approx(five.flops / cost.RATE["cpu"] + fixed, rel=1e-12)


def test_a_compilation_is_priced_by_the_encoder():
    """The same Table 1 arm with each encoder: the seconds beyond its work and the arm's own
    second are one compilation at its encoder's price (sims.trackd.cost.COMPILE_SECONDS);
    Table 5 with the CNN: two, the arm's and its local round's."""
    cfg = _fast("table1", seeds=1)
    for arch in ("mlp", "cnn", "vit"):
        one = dataclasses.replace(cfg, methods=("mae",), archs=(arch,), skews=("iid",))
        est = cost.estimate({"table1": one}, "cpu")
        fixed = est.seconds - est.flops / cost.RATE["cpu"] - cost.ARM_SECONDS
        assert est.programs == 1
        assert fixed == pytest.approx(cost.COMPILE_SECONDS["cpu"][arch], rel=1e-9)
    # Table 5's local round after each arm is a program of the arm's encoder too
    five = _fast("table5", seeds=1)
    five = dataclasses.replace(five, arch="cnn", methods=("mae",),
                               common=dataclasses.replace(five.common, curve_every=0))  # fmt: skip
    est = cost.estimate({"table5": five}, "cpu")
    fixed = est.seconds - est.flops / cost.RATE["cpu"] - 3 * cost.ARM_SECONDS
    assert est.programs == 2
    assert fixed == pytest.approx(2 * cost.COMPILE_SECONDS["cpu"]["cnn"], rel=1e-9)


def test_the_command_prints_the_estimate_and_refuses_past_the_budget(capsys, monkeypatch):
    """--rounds and --seeds past both the preset's own estimate and the time budget are
    refused before anything trains, naming the option farthest above the preset's value; a
    preset's own size is never refused on time (PAPER-SCALE is hours on a CPU); the estimate
    is printed on stderr. Priced at the CPU's rates wherever the test runs."""
    import jax

    from sims.cli import main

    monkeypatch.setattr(jax, "default_backend", lambda: "cpu")
    assert main(["trackd", "--rounds", "100000"]) == 2  # every experiment: about an hour
    err = capsys.readouterr().err
    assert err.startswith("dssl trackd: error: --rounds: must be small enough for Track D to ")
    assert "--force-size" in err and err.count("\n") == 1
    assert main(["trackd", "--seeds", "1000", "--rounds", "12"]) == 2  # about an hour
    assert "error: --seeds: " in (err := capsys.readouterr().err)  # 333x its preset's, not 2x
    assert err.endswith("got '1000 with --rounds 12'\n")

    from sims.commands import trackd as cmd

    args = type("A", (), {"preset": "paper-scale", "experiment": "all", "rounds": None,
                          "seeds": None, "dataset": None, "data_path": None,
                          "devices": 1})()  # fmt: skip
    est = cmd._estimate(args, cmd._configs(args))
    assert est.seconds > 1800  # over the budget, and not refused: the preset's own size
    assert capsys.readouterr().err.startswith("Track D (paper-scale preset): estimate: ")


def test_the_memory_counts_the_activations_of_the_clients_trained_at_once():
    """An arm's memory: its networks and images, plus the activations of the clients it trains
    at once: all of a round's in one vmap on one device; on a mesh its clients split over,
    one on each device where a round's clients split over them too, else one in all
    (sims.core.rounds.per_device)."""
    import jax
    import jax.numpy as jnp

    from sims.trackd import train

    cfg = dataclasses.replace(_fast("table5", seeds=1), methods=("mae",), n_clients=8)
    c = dataclasses.replace(cfg.common, curve_every=0)
    im = ex.images_of(c)
    shape = im.x_train.shape[1:]
    nc, lc = ex.net_config(c, "mlp", "mae", shape), ex.loss_config(c, "mae")
    x = jax.ShapeDtypeStruct((c.batch_size,) + shape, jnp.float32)
    act = train.step_activation_bytes(nc, lc, x)
    nets = train.networks_bytes(nc, (8, c.rows) + shape)
    # (clients a round, devices) -> clients trained at once
    at_once = {(None, 1): 8, (None, 2): 2, (None, 4): 4, (None, 3): 8,  # 8 % 3: no mesh
               (3, 1): 3, (3, 2): 1, (4, 2): 2, (3, 3): 3}  # fmt: skip
    for (cpr, devices), k in at_once.items():
        one = dataclasses.replace(cfg, common=c, clients_per_round=cpr)
        est = cost.estimate({"table5": one}, "cpu", devices=devices)
        assert est.peak_bytes == nets + k * act, (cpr, devices)
        assert est.seconds == cost.estimate({"table5": one}, "cpu").seconds


def test_a_steps_activations_against_xlas_temporaries():
    """A local step's activations (jax.vjp's residuals, by eval_shape) against the temporaries
    XLA allocates for the compiled value_and_grad of the same loss, an independent account:
    FAST's networks (every architecture and objective) and DEFAULT's MLP, within the ranges
    the docstring states, with a margin for other XLA versions."""
    import jax
    import jax.numpy as jnp

    from sims.trackd import train

    cases = [("fast", a, m) for a in ("mlp", "cnn", "vit") for m in ("mae", "simsiam", "mar")]
    cases += [("default", "mlp", "mae"), ("default", "mlp", "simsiam")]
    ratios = {}
    for preset, arch, objective in cases:
        c = presets.preset(preset, "table1").common
        shape = ex.images_of(c).x_train.shape[1:]
        nc = ex.net_config(c, arch, objective, shape)
        lc = ex.loss_config(c, objective, arch)
        x = jax.ShapeDtypeStruct((c.batch_size,) + shape, jnp.float32)
        loss, params, xs, key = train._step(nc, lc, x)
        temp = jax.jit(jax.value_and_grad(loss)).lower(params, xs, key).compile()
        temp = temp.memory_analysis().temp_size_in_bytes
        ratios[preset, arch, objective] = train.step_activation_bytes(nc, lc, x) / temp
    fast = [r for k, r in ratios.items() if k[0] == "fast"]
    assert 0.8 <= min(fast) and max(fast) <= 2.4, ratios  # measured 0.97 to 1.98
    default = [r for k, r in ratios.items() if k[0] == "default"]
    assert 0.6 <= min(default) and max(default) <= 3.6, ratios  # measured 0.71 and 3.14


def test_the_steps_arguments_are_checked():
    """One line naming the argument that is not a configuration or a (B, H, W, C) batch."""
    import jax
    import jax.numpy as jnp

    from sims.trackd import train

    c = presets.preset("fast", "table1").common
    nc, lc = ex.net_config(c, "mlp", "mae", (8, 8, 1)), ex.loss_config(c, "mae")
    x = jax.ShapeDtypeStruct((4, 8, 8, 1), jnp.float32)
    for args, field in (((nc, lc, [1, 2]), "batch"), ((nc, lc, None), "batch"),
                        ((lc, lc, x), "net_cfg"), ((nc, nc, x), "loss_cfg")):  # fmt: skip
        with pytest.raises(TypeError, match=f"^{field}: must be "):
            train.step_activation_bytes(*args)
    with pytest.raises(TypeError, match="^batch: must be "):
        train.local_step_flops(nc, lc, jnp.zeros((8, 8, 1)))
