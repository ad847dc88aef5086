"""``dssl trackd``: Track D — the paper's experiments with small nonlinear encoders (flax MLP
and patch ViT; MAE, SimSiam, MAR) in vmapped FL and DecL on real images, with the Track D
verdicts (rule fixed in ``sims.trackd.verdicts``)."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import sys

from sims.commands import _common as cm
from sims.commands import _names

NAME = "trackd"
HELP = (
    "Track D: nonlinear encoders (MLP, CNN, ViT; MAE, SimSiam, BYOL, MAR) in FL/DecL on real images"
)

EXPERIMENTS = ("table1", "fig2a", "table6", "fig2b", "table5")
#: Bounds on the run length, 1,000× the PAPER-SCALE preset's 100 rounds and far above any
#: preset's seeds: a mistyped count (--rounds 1e12) is refused instead of running unseen.
MAX_ROUNDS = 100_000
MAX_SEEDS = 1_000
PRESETS = ("fast", "default", "decisive", "paper-scale")


#: the options' defaults (what --ledger takes as "not given")
_DEFAULTS = {"experiment": "all", "preset": "fast", "balanced": False, "devices": 1}


def add_arguments(p) -> None:
    p.add_argument("--experiment", default=_DEFAULTS["experiment"], choices=EXPERIMENTS + ("all",))
    p.add_argument("--preset", default=_DEFAULTS["preset"], choices=PRESETS)
    p.add_argument("--dataset", default=None, choices=_names.DATASETS,
                   help="override the preset's dataset (cifar10 and npz need --data-path; "
                   "mnist and digits ship with the install)")  # fmt: skip
    p.add_argument("--data-path", default=None, metavar="DIR|FILE.npz",
                   help="CIFAR-10 directory (python format) for --dataset cifar10, or the .npz "
                   "file for --dataset npz (refused with mnist and digits)")  # fmt: skip
    p.add_argument("--seeds", type=cm.integer(lo=1, hi=MAX_SEEDS), default=None,
                   help=f"override seeds (at most {MAX_SEEDS})")  # fmt: skip
    p.add_argument("--rounds", type=cm.integer(lo=1, hi=MAX_ROUNDS), default=None,
                   help=f"override rounds (at most {MAX_ROUNDS})")  # fmt: skip
    p.add_argument("--balanced", action="store_true",
                   help="split with the official code's balanced Dirichlet (equal client "
                   "sizes) instead of Hsu's (Table 1 only)")  # fmt: skip
    p.add_argument("--ledger", action="store_true",
                   help="print the parity ledger (paper / official code / this toolkit) and "
                   "exit; trains nothing")  # fmt: skip
    cm.add_devices_argument(p, "each arm's clients, where K divides them,")
    cm.add_compile_cache_argument(p)
    p.add_argument(
        "--save",
        default=None,
        metavar="DIR",
        help="write trackd_<experiment>.json/.png and trackd_verdicts.json (read by "
        "`dssl verify --trackd-results DIR`) here",
    )


def _data_changes(common, args) -> dict:
    """``dataset`` and ``data_path`` from --dataset/--data-path: the path must be what the
    dataset reads (``sims.trackd.data.SOURCES``), and is refused where its data ship with the
    install. A preset's path is kept only for the preset's own dataset."""
    from theory import _validate as v

    dataset = common.dataset if args.dataset is None else args.dataset
    wants = _names.DATA_PATHS[dataset]  # sims.trackd.data.SOURCES[dataset].path
    if args.data_path is None:
        path = common.data_path if dataset == common.dataset else None
        if wants is not None and path is None:
            v.fail("--data-path", f"a {wants} when the dataset is {dataset}", None)
        return {"dataset": dataset, "data_path": path if wants is not None else None}
    if wants is None:
        reason = f"with --dataset {dataset} (its data ship with the install)"
        cm.not_applicable("--data-path", reason, args.data_path)
    exists = os.path.isdir if wants == "directory" else os.path.isfile
    if not exists(args.data_path):
        v.fail("--data-path", f"an existing {wants} for --dataset {dataset}", args.data_path)
    return {"dataset": dataset, "data_path": args.data_path}


def _override(cfg, args):
    common = cfg.common
    changes = _data_changes(common, args)
    if args.seeds is not None:
        changes["seeds"] = args.seeds
    if args.rounds is not None:
        changes["rounds"] = args.rounds
    cfg = dataclasses.replace(cfg, common=dataclasses.replace(common, **changes))
    if getattr(args, "balanced", False):
        if not hasattr(cfg, "balanced"):
            cm.not_applicable("--balanced", "except with --experiment table1", True)
        cfg = dataclasses.replace(cfg, balanced=True)
    return cfg


HOST_DEVICES = cm.wants_host_devices
#: the estimate's fields in the --json output (``sims.trackd.cost.Estimate``)
ESTIMATE_KEYS = ("arms", "reads", "flops", "seconds", "peak_bytes", "backend")


def _configs(args) -> dict:
    """The configuration of each selected experiment: its preset's, with --dataset,
    --data-path, --seeds, --rounds and --balanced applied (each refused where it cannot
    apply). Imports no JAX."""
    from sims.trackd import presets

    offered = tuple(presets.PRESETS[args.preset])
    names = offered if args.experiment == "all" else (args.experiment,)
    if args.experiment not in offered + ("all",):
        from theory import _validate as v

        v.fail(
            "experiment", f"one of {offered} or all with --preset {args.preset}", args.experiment
        )
    return {n: _override(presets.preset(args.preset, n), args) for n in names}


def data_path_readable(dataset: str, path: str) -> None:
    """The loaders' first checks of an existing data path (``sims.data.datasets``), without
    reading the data: an ``npz`` file must start as a zip archive does, a ``cifar10`` folder
    (or its ``cifar-10-batches-py``) must hold every batch file. The error names ``path``."""
    from theory import _validate as v

    if dataset == "npz":
        with open(path, "rb") as fh:
            magic = fh.read(4)
        if magic not in (b"PK\x03\x04", b"PK\x05\x06"):
            name = os.path.basename(path)
            v.fail("path", "a .npz archive (numpy.savez)", f"{name}: not a zip archive")
    elif dataset == "cifar10":
        root = path
        nested = os.path.join(root, "cifar-10-batches-py")
        if os.path.isdir(nested) and not os.path.exists(os.path.join(root, "test_batch")):
            root = nested
        for name in _names.CIFAR10_BATCHES:
            file = os.path.join(root, name)
            if not os.path.exists(file):
                where = f"{name} in {os.path.dirname(file)}"
                v.fail("path", "a directory holding CIFAR-10 python batches", f"{where} missing")


def check(args) -> None:
    """Before JAX is imported (sims.cli): the experiments' configurations (--data-path where
    the dataset reads one, and that its files are there), --save, --compile-cache and, on a
    CPU, --devices against the cores; with --ledger, that no option of a run is given (the
    ledger is the presets' settings against the paper's and the official code's, whatever
    they are)."""
    if getattr(args, "ledger", False):
        for flag in ("experiment", "preset", "dataset", "data_path", "seeds", "rounds", "balanced",
                     "devices", "save", "compile_cache"):  # fmt: skip
            value, default = getattr(args, flag, None), _DEFAULTS.get(flag)
            if value != default:
                option = "--" + flag.replace("_", "-")
                cm.not_applicable(option, "with --ledger (it trains nothing)", value)
        return
    from theory import _validate as v

    for cfg in _configs(args).values():
        if cfg.common.data_path is not None:
            with v.renamed("path", "data_path"):
                data_path_readable(cfg.common.dataset, cfg.common.data_path)
    if args.save is not None:
        cm.check_out_dir(args.save, "save")
    from sims.reproduce.pipeline import compile_cache

    compile_cache.resolve(args.compile_cache)
    have = cm.host_device_count() if args.devices > 1 else None
    if have is not None and args.devices > have:  # sims.trackd.train.devices_for
        v.fail("devices", f"in [1, {have}] (the devices JAX sees here)", args.devices)


def run(args) -> dict:
    """Run the selected experiments; return their headline numbers and the verdicts (with
    ``--ledger``: the parity ledger instead, nothing trained)."""
    if getattr(args, "ledger", False):
        from sims.trackd.ledger import ledger_rows  # imports no JAX

        return {"ledger": ledger_rows()}
    from sims.reproduce.pipeline import compile_cache
    from sims.trackd import experiments, train
    from sims.trackd import verdict_rows as td_rows
    from sims.trackd.arms import Arms

    cfgs = _configs(args)
    names = tuple(cfgs)
    out_dir = cm.check_out_dir(args.save, "save") if args.save is not None else None
    results, saved = {}, []
    devices = train.devices_for(args.devices)
    from theory import _validate as v

    with _held(out_dir, names) as earlier:  # before the data and the estimate
        with v.renamed("path", "data_path"):  # the data are read (and checked) before training
            for cfg in cfgs.values():
                experiments.check_images(cfg)
        est = _estimate(args, cfgs)
        arms = Arms()  # an arm two experiments share is trained once (sims.trackd.arms)
        # the compiled programs of earlier runs, read back (most of a fast run is compilation)
        cache = compile_cache.persistent_cache(compile_cache.resolve(args.compile_cache))
        with cache, _progress(experiments.log, est.after, est.seconds):
            try:
                for n in names:
                    experiments.log.info("%s (%s preset) ...", n, args.preset)
                    results[n] = experiments.EXPERIMENTS[n](cfgs[n], devices=devices, arms=arms)
                    if out_dir is not None:  # each experiment with the verdicts so far
                        _write(out_dir, n, results[n])
                        _write_verdicts(out_dir, results)
                        saved.append(n)
            except KeyboardInterrupt as err:  # the command's one line says what was kept
                err.dssl_kept = _kept(results, saved, out_dir, earlier)
                raise
    doc = td_rows.verdicts_doc(results)  # the trackd_verdicts stage's computation
    table = doc["rows"]
    return {
        "preset": args.preset,
        "devices": args.devices,
        "estimate": {k: getattr(est, k) for k in ESTIMATE_KEYS},
        "experiments": {n: _headline(n, r) for n, r in results.items()},
        "verdicts": table,
        "scale": {
            r["claim"]: td_rows.claim_tag({"scale": td_rows.scale_of(results)}, r["claim"])
            for r in table
        },  # fmt: skip
    }


def _estimate(args, cfgs: dict):
    """The run's estimate (:func:`sims.trackd.cost.estimate`), printed on stderr where it is
    not instant; a run whose --seeds or --rounds take it past both its preset's own estimate
    and the time budget is refused (:func:`sims.trackd.cost.check_time`), and one whose largest
    arm does not fit in memory, before anything trains."""
    import argparse

    from sims.trackd import cost
    from theory import _validate as v

    est = cost.estimate(cfgs, devices=args.devices)
    if args.rounds is not None or args.seeds is not None:
        own_cfgs = _configs(argparse.Namespace(**{**vars(args), "seeds": None, "rounds": None}))
        own = cost.estimate(own_cfgs, devices=args.devices)
        # the option farthest above the preset's own value, the other beside it where given
        preset = next(iter(own_cfgs.values())).common
        given = {"--rounds": (args.rounds, preset.rounds), "--seeds": (args.seeds, preset.seeds)}
        given = {k: x for k, x in given.items() if x[0] is not None}
        field = max(given, key=lambda k: given[k][0] / given[k][1])
        value = " with ".join(
            [str(given[field][0])] + [f"{k} {x[0]}" for k, x in given.items() if k != field]
        )
        cost.check_time(est, own, field, value)
    common = next(iter(cfgs.values())).common  # one dataset for every experiment
    field, value = (
        ("--data-path", common.data_path) if common.data_path else ("--dataset", common.dataset)
    )
    what = "Track D's largest arm (its clients' networks, tiled images and activations)"
    v.check_fits(field, value, est.peak_bytes, what=what)
    if est.seconds > v.PROGRESS_AFTER_S:
        sys.stderr.write(f"Track D ({args.preset} preset): {cost.describe(est)}\n")
        sys.stderr.flush()
    return est


def _progress(logger, after: tuple, total: float):
    """Show ``logger``'s INFO lines (one per arm) on stderr, with the elapsed time, for the
    duration of the block only (:func:`sims.commands._common.logged`); a trained arm's line
    counts it among the arms the run trains and gives the time left: the estimate's
    (``after``: the estimated seconds when each arm ends; ``total``: the run's) scaled by the
    elapsed time over the estimate's for the arms done."""
    done = [0]

    def line(record, elapsed: float) -> str:
        text = record.getMessage()
        if getattr(record, "trained", False) and done[0] < len(after):
            done[0] += 1
            k = done[0]
            left = elapsed * (total - after[k - 1]) / after[k - 1]
            about = f", about {left:.0f} s left" if math.isfinite(left) else ""  # no count
            text += f" (arm {k} of {len(after)}{about})"
        return text

    return cm.logged(logger.name, line)


@contextlib.contextmanager
def _held(out_dir: str | None, names: tuple):
    """The --save folder held for this run (a second run into it is refused in one line,
    :func:`sims.reproduce.pipeline.outfolder.locked`); yields the experiments whose files an
    earlier run left there, after a note on stderr naming those this run does not write (its
    ``trackd_verdicts.json`` will hold this run's experiments only)."""
    if out_dir is None:
        yield []
        return
    from sims.reproduce.pipeline import outfolder

    os.makedirs(os.path.join(out_dir, outfolder.CACHE_DIR), exist_ok=True)
    with outfolder.locked(out_dir, "save"):
        earlier = [e for e in EXPERIMENTS if os.path.isfile(_file(out_dir, e))]
        others = [e for e in earlier if e not in names]
        if others:
            files, own = _files(others), ", ".join(names)
            note = (f"dssl trackd: note: {out_dir} holds {files} of an earlier run; its "
                    f"trackd_verdicts.json will hold this run's {own} only")  # fmt: skip
            sys.stderr.write(note + "\n")
        yield earlier


def _file(out_dir: str, name: str) -> str:
    """The result file of experiment ``name`` in ``out_dir``."""
    return os.path.join(out_dir, f"trackd_{name}.json")


def _files(names: list) -> str:
    """The result files of the experiments ``names``, for a line of text."""
    return ", ".join(os.path.basename(_file("", e)) for e in names)


def _kept(results: dict, saved: list, out_dir: str | None, earlier: list) -> str:
    """What an interrupted run kept, for its one line: the experiments it finished, whether
    and where they were saved, and an earlier run's files the folder still holds."""
    if not results:
        return "no experiment finished"
    done = ", ".join(results)
    if out_dir is None:
        return f"{done} finished, not saved (no --save)"
    text = f"{done} finished, {', '.join(saved) or 'none'} saved in {out_dir}"
    stale = [e for e in earlier if e not in saved]
    if stale:
        text += f"; it also holds an earlier run's {_files(stale)} (not in its verdicts)"
    return text


def _write_verdicts(out_dir: str, results: dict) -> None:
    """The trackd_verdicts stage's file of ``results``, read by ``dssl verify``."""
    from sims.reproduce.pipeline import jsonio
    from sims.trackd import verdict_rows as td_rows

    doc = td_rows.verdicts_doc(results)
    jsonio.write_json(os.path.join(out_dir, "trackd_verdicts.json"), doc, field="save",
                      nonfinite="null")  # fmt: skip


def _write(out_dir: str, name: str, result: dict) -> None:
    from sims.reproduce import figures as _figs  # noqa: F401 - sets the Agg backend
    from sims.reproduce.figures import trackd as figs
    from sims.reproduce.pipeline import jsonio

    os.makedirs(out_dir, exist_ok=True)
    jsonio.write_json(_file(out_dir, name), result, field="save", nonfinite="null")
    for file, make in figs.figures_of(name).items():
        jsonio.savefig(make(result), os.path.join(out_dir, file), field="save")


def _headline(name: str, r: dict) -> dict:
    if name == "table1":
        return {f"{c['method']}+{c['arch']} {c['skew']}": c["probe"] for c in r["cells"]}
    if name == "table5":
        return r["summary"]
    out = dict(r["summary"])
    if "fl_summary" in r:
        out["fl"] = r["fl_summary"]
    return out


def format_text(result: dict) -> str:
    """Verdict lines, then the headline accuracies (or the parity ledger)."""
    if "ledger" in result:
        from sims.trackd.ledger import ledger_text

        return ledger_text(result["ledger"], width=cm.terminal_width())
    from sims.trackd.verdict_rows import delta_text, points_of

    lines = [f"Track D ({result['preset']} preset)"]
    for row in result["verdicts"]:
        if row["track_d"] == "not-run":
            lines.append(f"  {row['claim']:<13} not-run")
        else:
            lines.append(
                f"  {row['claim']:<13} {row['track_d']:<12} D3 {row.get('d3_verdict') or '?':<12} "
                f"{result.get('scale', {}).get(row['claim'], '')}"
            )
            lines.append(cm.fill(
                f"Δ = {delta_text(row)} (SE, {row['n_seeds']} seeds), MDE "
                f"{points_of(row.get('mde'), row)}, paper effect "
                f"{points_of(row.get('paper_effect'), row)}",
                indent=" " * 16, subsequent=" " * 18))  # fmt: skip
            lines.append(cm.fill(row["reason"], indent=" " * 16, subsequent=" " * 18))
    ran = [r["track_d"] for r in result["verdicts"] if r["track_d"] != "not-run"]
    if ran and set(ran) == {"void"}:
        why = (" The fast preset is CI's, too short to learn from; --preset default and "
               "--preset decisive train longer (each prints its estimate first)."
               if result["preset"] == "fast" else "")  # fmt: skip
        note = f"note: every verdict is void (its arms did not learn).{why}"
        lines.append(cm.fill(note, subsequent="  "))
    for name, head in result["experiments"].items():
        lines.append(f"{name}:")
        for k, s in _flat(head):
            lines.append(f"  {k:<40} {s['mean']:.3f} ± {_num(s['se'], '.3f')}")
    return "\n".join(lines)


def _num(x, fmt: str = "+.4f") -> str:
    """``x`` formatted, or ``n/a`` where it is not a number (an SE of one seed)."""
    return "n/a" if x is None or x != x else format(x, fmt)


def _flat(d: dict, prefix: str = ""):
    for k, val in d.items():
        if isinstance(val, dict) and "mean" in val and "se" in val:
            yield prefix + str(k), val
        elif isinstance(val, dict):
            yield from _flat(val, prefix + str(k) + " ")
