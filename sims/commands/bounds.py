"""``dssl bounds``: the paper's Track A bounds (Thms 4.2, 4.3 of arXiv 2607.02447) at one point.

Prints the sensitivities s = 1 − LB for MIM, CL similar and CL dissimilar under local training,
DecL and FL, the lower bounds, which bounds are vacuous or undefined, the resolved inputs and
warnings when the point lies outside the paper's setting (2 ≤ |Ā| ≤ N).
"""

from __future__ import annotations

import argparse

import numpy as np

from sims.commands import _common
from theory import bounds

NAME = "bounds"
HELP = "Track A: the paper's representability bounds (Thms 4.2/4.3) and sensitivities"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--d", type=_common.real(), required=True, help="input dimension d >= 1")
    parser.add_argument("--p", type=_common.real(), required=True, help="mask ratio p in (0, 1)")
    parser.add_argument(
        "--abar",
        type=_common.real(),
        required=True,
        help="average neighbourhood size |A| (incl. self)",
    )
    parser.add_argument(
        "--n", type=_common.real(), default=None, help="N >= 2 (default C_N d^(1/20))"
    )
    parser.add_argument(
        "--trH", "--trh", dest="trH", type=_common.real(), default=1.0, help="tr(H) > 0"
    )
    parser.add_argument(
        "--c-num", type=_common.real(), default=1.0, help="constant of the numerator O"
    )
    parser.add_argument(
        "--c-den", type=_common.real(), default=1.0, help="constant of the denominator O"
    )
    parser.add_argument(
        "--c-f", type=_common.real(), default=1.0, help="constant of Theta(d^(7/20))"
    )
    parser.add_argument("--c-n", type=_common.real(), default=1.0, help="N = C_N d^(1/20)")
    parser.add_argument(
        "--sign",
        choices=bounds.SIGNS,
        default="+",
        help="'-' uses the '-O' denominators of Eqs. 63-64 (CL under DecL)",
    )
    parser.add_argument(
        "--fl-term",
        choices=bounds.FL_TERMS,
        default="eq37",
        help="Theta(d^(7/20)) as g d^(2/5)/N (eq37) or C_F d^(7/20) (theta)",
    )


def run(args: argparse.Namespace) -> dict:
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

    def plain(tree, cast):
        return {m: {f: cast(np.asarray(x)) for f, x in fw.items()} for m, fw in tree.items()}

    warnings = bounds.configuration_warnings(d=args.d, abar=args.abar, n=args.n, c_n=args.c_n)
    for m, fw in res["undefined"].items():
        for f, flag in fw.items():
            if bool(flag):
                warnings.append(f"{m}/{f}: bound undefined (denominator <= 0)")
    n_val = float(res["n"])
    out: dict = plain(res["sensitivity"], float)
    out["lower_bounds"] = plain(res["lower_bound"], float)
    out["vacuous"] = plain(res["vacuous"], bool)
    out["undefined"] = plain(res["undefined"], bool)
    out["inputs"] = {
        "d": args.d,
        "p": args.p,
        "abar": args.abar,
        "n": n_val,
        "n_source": "given" if args.n is not None else "C_N*d^(1/20)",
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
    lines = [
        f"Track A bounds (paper as written): d={inp['d']:g} p={inp['p']:g} |A|={inp['abar']:g} "
        f"N={inp['n']:.4g} ({inp['n_source']}) trH={inp['trH']:g} sign={inp['sign']} "
        f"fl_term={inp['fl_term']}",
        f"{'method':<15}{'framework':<10}{'sensitivity':>14}{'lower bound':>14}  status",
    ]
    for m in bounds.METHODS:
        for f in bounds.FRAMEWORKS:
            s, lb = result[m][f], result["lower_bounds"][m][f]
            if result["undefined"][m][f]:
                status = "undefined"
            elif result["vacuous"][m][f]:
                status = "vacuous"
            else:
                status = "informative"
            s_txt = "nan" if s is None else f"{s:.5g}"
            lb_txt = "nan" if lb is None else f"{lb:.6g}"
            lines.append(f"{m:<15}{f:<10}{s_txt:>14}{lb_txt:>14}  {status}")
    for w in result["warnings"]:
        lines.append(f"warning: {w}")
    return "\n".join(lines)
