"""spark-submit entry point: `spark-submit jobs/nightly.py --env cluster ...` (same arguments as `ipr-guard nightly`)."""
import sys

from ipr_guard.cli import main

if __name__ == "__main__":
    sys.exit(main(["nightly", *sys.argv[1:]]))
