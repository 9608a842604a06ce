import sys

from ssgc_ref.cli import main

sys.exit(main())
