import sys

if sys.argv[1:2] == ["bump"]:
    # its own options and exit codes; generator.bump builds on cli, not the reverse
    from .bump.pipeline import main as bump

    raise SystemExit(bump(sys.argv[2:]))

from .cli import main

raise SystemExit(main())
