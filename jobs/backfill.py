"""spark-submit entry point: `spark-submit jobs/backfill.py --env cluster ...` (same arguments as `ipr-guard backfill`)."""
import sys

from ipr_guard.cli import main

if __name__ == "__main__":
    sys.exit(main(["backfill", *sys.argv[1:]]))
