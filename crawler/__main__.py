"""`python -m crawler --seed-playlist <url|uri|id>`: see crawler/cli.py and crawler/README.md."""
import sys

from crawler.cli import main

sys.exit(main())
