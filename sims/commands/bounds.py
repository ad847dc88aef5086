"""``dssl bounds``: the paper's Track A bounds (Thms 4.2, 4.3 of arXiv 2607.02447) at one point.

Prints, for MIM, CL similar and CL dissimilar under each asked framework (``--frameworks``;
local and FL by default, DecL too when ``--abar`` is given), the lower bound LB and the
sensitivity s = 1 − LB and whether the bound is vacuous or undefined, keyed by what it holds:
``{"mim": {"local": {"lb", "s", "vacuous", "undefined"}, "decl": {...}, "fl": {...}}, ...}``,
then the resolved inputs and warnings when the point lies outside the paper's setting
(2 ≤ |Ā| ≤ N). ``--abar`` (|Ā|) enters only the DecL bound: it is required with DecL and
rejected without it.
"""

from __future__ import annotations

import argparse

import numpy as np

from sims.commands import _common, _lazy, _names

bounds = _lazy.module("theory.bounds")

NAME = "bounds"
HELP = "Track A: the paper's representability bounds (Thms 4.2/4.3) and sensitivities"


#: a hidden constant's range: theory.bounds.CONSTANT_RANGE (tests/test_cli_light.py)
_constant = _common.real(*_names.BOUND_CONSTANT_RANGE)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # the ranges are theory.bounds' own (_inputs, CONSTANT_RANGE), checked here before JAX
    parser.add_argument(
        "--d", type=_common.real(lo=1.0), required=True, help="input dimension d >= 1"
    )
    parser.add_argument(
        "--p",
        type=_common.real(0.0, 1.0, lo_open=True, hi_open=True),
        required=True,
        help="mask ratio p in (0, 1)",
    )
    parser.add_argument(
        "--abar",
        type=_common.real(lo=1.0),
        default=None,
        help="average neighbourhood size |A-bar| incl. self (= average degree + 1); only for "
        "the DecL bound, required when --frameworks includes decl",
    )
    parser.add_argument(
        "--frameworks",
        default=None,
        help="comma-separated frameworks among local, decl, fl (default: local,fl, plus decl "
        "when --abar is given)",
    )
    parser.add_argument(
        "--n-clients",
        dest="n",
        type=_common.real(lo=2.0),
        default=None,
        help="number of clients N >= 2 (default C_N d^(1/20))",
    )
    parser.add_argument(
        "--trH",
        "--trh",
        dest="trH",
        type=_common.real(0.0, lo_open=True),
        default=1.0,
        help="tr(H) > 0",
    )
    parser.add_argument("--c-num", type=_constant, default=1.0, help="constant of the numerator O")
    parser.add_argument(
        "--c-den", type=_constant, default=1.0, help="constant of the denominator O"
    )
    parser.add_argument(
        "--c-f",
        type=_constant,
        default=None,
        help="constant of Theta(d^(7/20)) (with --fl-term theta; default 1)",
    )
    parser.add_argument(
        "--c-n",
        type=_constant,
        default=None,
        help="N = C_N d^(1/20) (without --n-clients; default 1)",
    )
    parser.add_argument(
        "--sign",
        choices=_names.SIGNS,
        default="+",
        help="'-' uses the '-O' denominators of Eqs. 63-64 (CL under DecL)",
    )
    parser.add_argument(
        "--fl-term",
        choices=_names.FL_TERMS,
        default="eq37",
        help="Theta(d^(7/20)) as g d^(2/5)/N (eq37) or C_F d^(7/20) (theta)",
    )


def _frameworks(args) -> tuple:
    """The asked frameworks; --abar exactly when DecL is asked for."""
    from theory import _validate as v
    from theory.frameworks import FRAMEWORK_NAMES, framework_of  # without JAX

    if args.frameworks is None:
        asked = FRAMEWORK_NAMES if args.abar is not None else ("local", "fl")
    else:
        items = [t.strip() for t in str(args.frameworks).split(",")]
        if not items or any(t not in FRAMEWORK_NAMES for t in items):
            v.fail(
                "frameworks",
                "comma-separated names among " + ", ".join(FRAMEWORK_NAMES),
                args.frameworks,
            )
        asked = tuple(f for f in FRAMEWORK_NAMES if f in items)
    # the bounds of a framework with a graph (DecL) take |Ā|
    graph = any(framework_of(f).has_graph for f in asked)
    if graph and args.abar is None:
        v.fail("abar", "given (|A-bar| of the DecL bound) when --frameworks includes decl", None)
    if not graph and args.abar is not None:
        v.fail(
            "abar",
            "omitted unless --frameworks includes decl (only the DecL bound uses it)",
            args.abar,
        )
    return asked


def _refuse_constants(args) -> None:
    """--c-f and --c-n only where they enter the bounds."""
    if args.c_f is not None and args.fl_term != "theta":
        _common.not_applicable(
            "--c-f", f"with --fl-term {args.fl_term} (it enters theta)", args.c_f
        )
    if args.c_n is not None and args.n is not None:
        _common.not_applicable("--c-n", "with --n-clients (N is given, not C_N d^(1/20))", args.c_n)


def _constants_given(args) -> None:
    """--c-f and --c-n only where they enter the bounds (refused elsewhere), else 1."""
    _refuse_constants(args)
    args.c_f = 1.0 if args.c_f is None else args.c_f
    args.c_n = 1.0 if args.c_n is None else args.c_n


def check(args: argparse.Namespace) -> None:
    """The checks between options, before JAX is imported (sims.cli): --c-f and --c-n where
    they enter, the frameworks and --abar."""
    _refuse_constants(args)
    _frameworks(args)


def run(args: argparse.Namespace) -> dict:
    _constants_given(args)
    asked = _frameworks(args)
    constants = {"c_num": args.c_num, "c_den": args.c_den, "c_f": args.c_f, "c_n": args.c_n}
    res = bounds.evaluate(
        d=args.d,
        p=args.p,
        abar=args.abar,
        n=args.n,
        trH=args.trH,
        constants=constants,
        sign=args.sign,
        fl_term=args.fl_term,
    )

    warnings = bounds.configuration_warnings(d=args.d, abar=args.abar, n=args.n, c_n=args.c_n)
    out: dict = {}
    for m in bounds.METHODS:
        out[m] = {}
        for f in asked:
            undefined = bool(np.asarray(res["undefined"][m][f]))
            if undefined:
                warnings.append(f"{m}/{f}: bound undefined (denominator <= 0)")
            out[m][f] = {
                "lb": float(np.asarray(res["lower_bound"][m][f])),
                "s": float(np.asarray(res["sensitivity"][m][f])),
                "vacuous": bool(np.asarray(res["vacuous"][m][f])),
                "undefined": undefined,
            }
    n_val = float(res["n"])
    out["inputs"] = {
        "d": args.d,
        "p": args.p,
        "abar": args.abar,
        "n": n_val,
        "n_source": "given" if args.n is not None else "C_N*d^(1/20)",
        "frameworks": list(asked),
        "trH": args.trH,
        "constants": constants,
        "sign": args.sign,
        "fl_term": args.fl_term,
        "kappa": 2.0 * args.p * (1.0 - args.p),
        "tau": args.d**0.2,
        "fl_theta_term": {m: float(x) for m, x in res["fl_theta_term"].items()},
    }
    out["warnings"] = warnings
    return out


def format_text(result: dict) -> str:
    inp = result["inputs"]
    abar = "n/a" if inp["abar"] is None else f"{inp['abar']:g}"
    lines = [
        _common.fill(
            f"Track A bounds (paper as written): d={inp['d']:g} p={inp['p']:g} "
            f"|A|={abar} N={inp['n']:.4g} ({inp['n_source']}) trH={inp['trH']:g} "
            f"sign={inp['sign']} fl_term={inp['fl_term']}"
        ),
        f"{'method':<15}{'framework':<10}{'sensitivity':>14}{'lower bound':>14}  status",
    ]
    for m in bounds.METHODS:
        for f, b in result[m].items():
            s, lb = b["s"], b["lb"]
            if b["undefined"]:
                status = "undefined"
            elif b["vacuous"]:
                status = "vacuous"
            else:
                status = "informative"
            s_txt = "nan" if s is None else f"{s:.5g}"
            lb_txt = "nan" if lb is None else f"{lb:.6g}"
            lines.append(f"{m:<15}{f:<10}{s_txt:>14}{lb_txt:>14}  {status}")
    for w in result["warnings"]:
        lines.append(_common.fill(f"warning: {w}", subsequent=" " * 9))
    return "\n".join(lines)
