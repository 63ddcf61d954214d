"""The one exception the read stage raises: a whole file that cannot be read as a listing."""

from __future__ import annotations

import os


class SourceError(ValueError):
    """A file (or text) that is not a listing papershelf can read, with where and why.

    Per-record problems never raise: they become ``records.Reject`` items. This is for the file as a
    whole (empty, binary, not any known format, a forbidden XML DTD). ``file`` is None when the
    parser was given text rather than a path; ``open_listing`` fills it in.
    """

    def __init__(self, file: str | os.PathLike[str] | None, line: int | None, message: str) -> None:
        self.file = os.fspath(file) if file is not None else None
        self.line = line
        self.message = message
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = self.file if self.file is not None else "<text>"
        if self.line is not None:
            where += f", line {self.line}"
        return f"{where}: {self.message}"

    def __str__(self) -> str:
        return self._describe()

    def __reduce__(self) -> tuple[type[SourceError], tuple[str | None, int | None, str]]:
        # The default reduce would call __init__ with the formatted message only.
        return (type(self), (self.file, self.line, self.message))

    def with_file(self, file: str | os.PathLike[str]) -> SourceError:
        """The same error, naming ``file`` (for errors raised by parsers that only saw text)."""
        return SourceError(file, self.line, self.message)
