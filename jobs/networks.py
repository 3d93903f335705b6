"""Entry point: `spark-submit ... jobs/networks.py --env cluster --date D` (same arguments as
`ipr-guard networks`), after the nightly for D."""
import sys

from ipr_guard.cli import main

if __name__ == "__main__":
    sys.exit(main(["networks", *sys.argv[1:]]))
