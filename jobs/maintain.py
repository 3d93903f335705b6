"""spark-submit entry point: `spark-submit jobs/maintain.py --env cluster ...` (same arguments as `ipr-guard maintain`)."""
import sys

from ipr_guard.cli import main

if __name__ == "__main__":
    sys.exit(main(["maintain", *sys.argv[1:]]))
