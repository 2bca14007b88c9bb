"""`python -m soak --requests 2000 --minutes 10`: see `soak/run.py`."""

from soak.run import main

raise SystemExit(main())
