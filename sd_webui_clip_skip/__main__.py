import sys

from .inspector import main

sys.exit(main())
