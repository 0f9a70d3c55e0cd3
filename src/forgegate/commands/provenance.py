"""``forgegate provenance``: SLSA v1 provenance of artifacts, as an in-toto statement."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from forgegate.cli import _Parser
from forgegate.errors import EXIT_OK


def add_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    parser = sub.add_parser(
        "provenance",
        help="write SLSA v1 provenance (in-toto statement) for artifacts",
        description="Write an in-toto Statement v1 with a SLSA Provenance v1 predicate: the "
        "artifacts and their sha256 as subjects, the build described from the GITHUB_* "
        "environment (repository, ref, commit, workflow, run id and attempt, runner). The "
        "release workflow signs it as a DSSE bundle.",
    )
    parser.add_argument("artifacts", nargs="+", type=Path, metavar="ARTIFACT")
    parser.add_argument(
        "--builder-id",
        metavar="URI",
        help="the builder (default: $FORGEGATE_BUILDER_ID, else the running workflow)",
    )
    parser.add_argument("--output", type=Path, metavar="FILE", help="write here (atomically)")
    parser.set_defaults(func=cmd_provenance)


def cmd_provenance(args: argparse.Namespace) -> int:
    from forgegate.atomic import write_atomic
    from forgegate.supplychain.provenance import statement

    text = json.dumps(statement(args.artifacts, os.environ, args.builder_id), indent=2) + "\n"
    if args.output is None:
        sys.stdout.write(text)
    else:
        write_atomic(args.output, text)
    return EXIT_OK
