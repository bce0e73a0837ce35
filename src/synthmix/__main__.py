"""`python -m synthmix`: the same as the `synthmix` command."""
import sys

from synthmix.cli import main

sys.exit(main())
