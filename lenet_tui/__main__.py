"""`python -m lenet_tui` runs the same command as `lenet-tui`."""

from lenet_tui.cli import main

raise SystemExit(main())
