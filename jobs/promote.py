"""Entry point: `python jobs/promote.py --env cluster ...` or under spark-submit (same arguments as
`ipr-guard promote`). It reads and writes the model registry only, so it needs no Spark session."""
import sys

from ipr_guard.cli import main

if __name__ == "__main__":
    sys.exit(main(["promote", *sys.argv[1:]]))
