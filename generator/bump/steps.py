"""The steps of a bump, their exit codes, and the error a failing step raises."""

from __future__ import annotations

#: success, and nothing in the API change report breaks code written for the old package
OK = 0
#: every step succeeded, and the report lists breaking changes (CI: label, review)
BREAKING = 10
#: usage errors (argparse's own code)
USAGE = 2

#: a failing step's exit code: CI can tell which step failed without parsing text
STEP_EXIT_CODES: dict[str, int] = {
    "fetch": 20,
    "version": 21,
    "generate": 22,
    "check": 23,
    "report": 24,
    "build": 25,
}
INTERRUPTED = 130


class StepFailed(Exception):
    """A step could not be done; ``str()`` names the step and the problem."""

    def __init__(self, step: str, message: str) -> None:
        assert step in STEP_EXIT_CODES, step
        super().__init__(f"bump step '{step}' failed: {message}")
        self.step = step
        self.message = message

    @property
    def exit_code(self) -> int:
        return STEP_EXIT_CODES[self.step]
