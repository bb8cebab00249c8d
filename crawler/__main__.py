"""`python -m crawler --seed-playlist <url|uri|id>`: see crawler/cli.py and crawler/README.md."""
import sys

from data.command_line import missing_package_hint

with missing_package_hint():
    from crawler.cli import main

    sys.exit(main())
