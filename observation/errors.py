"""The one error type the rest of the product catches and shows in a single line."""


class ObservationError(Exception):
    """A problem a user can act on; its message is shown as it is, never a traceback."""


class StudyLockedError(ObservationError):
    """The study file is open in another process."""
