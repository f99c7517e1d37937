"""Sub-commands of the `ftprop` CLI; each module has ``add_parser`` and ``run``."""
