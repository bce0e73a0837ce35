"""Errors that are the user's to fix: they name the file or key and what was expected."""


class DataError(ValueError):
    """Raw or prepared data that is missing, corrupt or does not match its checksum; names the file."""


class TooFewImagesError(DataError):
    """A result would be computed from too little data (a handful of images repeated): refused."""


class DiskFullError(OSError):
    """An output could not be written for lack of space; names the path and the space left."""
