"""The one error a cluster run stops with once it has started: the workspace checks before any work
raise ValueError (bad input); a DVC command or a stage that fails after raises RunFailed."""


class RunFailed(Exception):
    """The run stopped: one line for the user (a stage's own error, with its worker log)."""
