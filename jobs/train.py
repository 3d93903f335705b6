"""spark-submit entry point: `spark-submit jobs/train.py --env cluster ...` (same arguments as `ipr-guard train`)."""
import sys

from ipr_guard.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))
