"""``python -m wintersockets``: the command line."""

from wintersockets.cli import main

raise SystemExit(main())
