"""``python -m sims.report``: regenerate README's finding paragraph and gallery."""

from sims.report.readme import main

raise SystemExit(main())
