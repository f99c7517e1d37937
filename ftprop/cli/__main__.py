"""``python -m ftprop.cli`` (what ``torchrun -m ftprop.cli train ...`` runs): the ``ftprop`` command."""

import sys

from ftprop.cli import main

sys.exit(main())
