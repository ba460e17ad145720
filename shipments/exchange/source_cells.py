r"""A shipment's sources in one CSV cell, written so that reading the cell back gives them whole.

The ``sources`` cell lists each source as ``publisher: title``, separated by ``; ``, in the order
of the ``source_urls`` cell (the URLs, separated by spaces: a URL holds no space). Inside the cell
a backslash and a semicolon, and in a publisher a colon, are written with a backslash before
them, so that a publisher or title holding ``;`` or ``:`` comes back as it was::

    Pub\: Colon: A title: with a colon\; and a semicolon; Reuters: Venezuela: China sends aid

Files from elsewhere are read by the same rule: an unescaped ``;`` ends a source, the first
unescaped ``: `` ends its publisher, and a backslash before any other character is refused rather
than guessed at.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

ESCAPED = "\\;:"


class Described(Protocol):
    @property
    def publisher(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def url(self) -> str: ...


def sources_cell(sources: Iterable[Described]) -> str:
    """Return a shipment's sources cell: "publisher: title; publisher: title", escaped."""
    return "; ".join(f"{_escape(s.publisher, ':')}: {_escape(s.title, '')}" for s in sources)


def source_urls_cell(sources: Iterable[Described]) -> str:
    """Return a shipment's source_urls cell: the URLs, separated by spaces."""
    return " ".join(source.url for source in sources)


def read_sources_cell(cell: str) -> list[tuple[str, str]]:
    """Return the (publisher, title) of each source a sources cell lists, trimmed.

    A part left empty comes back as "". Raise ValueError for a backslash that escapes nothing.
    """
    entries: list[tuple[str, str]] = []
    publisher: str | None = None  # None until this source's publisher has ended
    part: list[str] = []
    chars = iter(enumerate(cell))
    for index, ch in chars:
        if ch == "\\":
            following = next(chars, (index + 1, ""))[1]
            if not following or following not in ESCAPED:
                raise ValueError(
                    f"has a backslash at character {index + 1} that escapes nothing: a backslash"
                    r" is written \\, and \; \: stand for ; and :"
                )
            part.append(following)
        elif ch == ";":
            entries.append(_entry(publisher, part))
            publisher, part = None, []
        elif ch == ":" and publisher is None and cell[index + 1 : index + 2] == " ":
            publisher, part = "".join(part), []
        else:
            part.append(ch)
    entries.append(_entry(publisher, part))
    return [entry for entry in entries if entry != ("", "")]


def _entry(publisher: str | None, part: list[str]) -> tuple[str, str]:
    text = "".join(part)
    if publisher is None:  # no ": " in it: the whole text names the publisher
        return text.strip(), ""
    return publisher.strip(), text.strip()


def _escape(text: str, also: str) -> str:
    escaped = text.replace("\\", "\\\\").replace(";", "\\;")
    return escaped.replace(":", "\\:") if also == ":" else escaped
