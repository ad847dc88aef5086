"""Recompute the words of committed Track D results by the rule in force, from their result
files (nothing is trained): ``python -m sims.trackd.rejudge FOLDER [FOLDER ...]`` rewrites
each ``FOLDER/trackd_verdicts.json`` (:func:`sims.trackd.verdict_rows.rejudge_folder`; the
word each row held before stays beside it as ``was``) and prints one line per claim.

The reproduce output folder's own ``trackd_verdicts.json`` (a stage result, with the rule
changes and the DECISIVE and PAPER-SCALE entries) is rewritten by the stage instead:
``dssl reproduce --stages trackd_verdicts``."""

from __future__ import annotations

import json
import os
import sys

from sims.files import write_text
from sims.trackd.verdict_rows import claim_tag, rejudge_folder, word_text
from sims.trackd.verdicts import VERDICTS_FILE


def main(argv: list[str] | None = None) -> int:
    folders = sys.argv[1:] if argv is None else argv
    if not folders:
        print("usage: python -m sims.trackd.rejudge FOLDER [FOLDER ...]", file=sys.stderr)
        return 2
    for folder in folders:
        doc = rejudge_folder(folder)
        path = os.path.join(folder, VERDICTS_FILE)
        write_text(path, json.dumps(doc, indent=1, allow_nan=False), field="folder")
        for r in doc["rows"]:
            if r["track_d"] == "not-run":
                continue
            was = r.get("was", {})
            p = "" if r.get("tost_p") is None else f" TOST p {r['tost_p']:.2g}"
            print(f"{folder}: {r['claim']}: {word_text(r)} (was {was.get('track_d')} by "
                  f"{was.get('rule')}){p} [{claim_tag(doc, r['claim'])}]")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
