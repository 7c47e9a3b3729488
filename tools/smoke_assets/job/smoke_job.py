"""The smoke test's job (tools/smoke.py), run on each compute cluster of the stack.

Writes a file to its output (a folder on workspaceblobstore, mounted read-write), reads it back
and logs an MLflow metric. Inside an Azure ML job MLflow already points at the workspace and no
run needs starting (azure-ai-docs, how-to-log-view-metrics.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="the output folder (on workspaceblobstore)")
    parser.add_argument("--text", required=True, help="what to write and expect back")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    written = args.out / "smoke.txt"
    written.write_text(args.text)
    read = written.read_text()
    if read != args.text:
        print(f"smoke: read back {read!r} from {written}, wrote {args.text!r}", file=sys.stderr)
        return 1
    import mlflow

    mlflow.log_metric("smoke", 1)
    print(f"smoke: wrote and read back {written}, logged the metric 'smoke'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
