import sys

from react_bench.cli.main import main

sys.exit(main())
