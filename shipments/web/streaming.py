"""A file written by the library, sent as it is written: constant memory, the event loop free.

The library's writers (``write_shipments``, ``write_csv``) write to a file object. ``stream`` runs
one in a thread of its own, which opens the database session and keeps it for the whole file,
and hands what it writes to the response in chunks through a short queue: when the client is
slower than the database, the writer waits; when the client goes away, the writer's next write
raises, its session closes, and the thread ends before ``stream`` returns.

A file that cannot be sent before it is whole (a workbook: a zip's directory comes last) is
``spool``-ed instead: written to an unnamed temporary file, then read back in chunks. The file has
no name on disk, so it is gone once closed, whether the response ended or failed.
"""

from __future__ import annotations

import contextlib
import queue
import tempfile
import threading
from collections.abc import AsyncGenerator, Callable, Iterator
from typing import IO, Any, TextIO, cast

import anyio
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

CHUNK_CHARACTERS = 64 * 1024
CHUNK_BYTES = 64 * 1024
QUEUED_CHUNKS = 4
_END = object()


class _Gone(Exception):
    """The reader went away: the writer stops."""


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Pipe:
    """The file object the writer writes to: text gathered into chunks, queued as bytes."""

    def __init__(self, chunks: queue.Queue[Any], gone: threading.Event) -> None:
        self._chunks = chunks
        self._gone = gone
        self._parts: list[str] = []
        self._size = 0

    def write(self, text: str) -> int:
        """Take ``text``; queue a chunk once enough is gathered."""
        self._parts.append(text)
        self._size += len(text)
        if self._size >= CHUNK_CHARACTERS:
            self.flush()
        return len(text)

    def flush(self) -> None:
        """Queue what is gathered."""
        if self._parts:
            data = "".join(self._parts).encode()
            self._parts, self._size = [], 0
            self.put(data)

    def put(self, item: Any) -> None:
        """Queue ``item``, waiting while the queue is full; raise _Gone once the reader left."""
        while True:
            if self._gone.is_set():
                raise _Gone
            try:
                self._chunks.put(item, timeout=0.1)
                return
            except queue.Full:
                continue


def stream(write: Callable[[TextIO], object]) -> Iterator[bytes]:
    """Yield, as UTF-8 chunks, what ``write`` writes to the file it is given.

    ``write`` runs in a thread started at the first chunk asked for. Closing the generator
    (the client went away) stops it at its next write and waits for its thread to end.
    """
    chunks: queue.Queue[Any] = queue.Queue(maxsize=QUEUED_CHUNKS)
    gone = threading.Event()

    def produce() -> None:
        pipe = _Pipe(chunks, gone)
        try:
            write(cast(TextIO, pipe))
            pipe.flush()
            pipe.put(_END)
        except _Gone:
            pass
        except BaseException as exc:  # handed to the reader, which raises it
            with contextlib.suppress(_Gone):
                pipe.put(_Failed(exc))

    thread = threading.Thread(target=produce, name="data-url-writer", daemon=True)
    thread.start()
    try:
        while (item := chunks.get()) is not _END:
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        gone.set()
        thread.join()


class Spooled(Iterator[bytes]):
    """A file written whole to an unnamed temporary file, read back in chunks; closing it (the
    response ended, however it ended) frees the file."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self.size = handle.seek(0, 2)
        handle.seek(0)

    def __next__(self) -> bytes:
        chunk = self._handle.read(CHUNK_BYTES)
        if not chunk:
            self.close()
            raise StopIteration
        return chunk

    def close(self) -> None:
        """Free the temporary file."""
        self._handle.close()


def spool(write: Callable[[IO[bytes]], object], *, suffix: str = "") -> Spooled:
    """Run ``write`` on an unnamed temporary file and return the file, ready to be sent."""
    # Not a with block: the file outlives this function, in the Spooled that the response closes.
    handle = tempfile.TemporaryFile(prefix="ledger-", suffix=suffix)  # noqa: SIM115
    try:
        write(handle)
        return Spooled(handle)
    except BaseException:
        handle.close()
        raise


class Streamed(StreamingResponse):
    """A response that sends a sync chunk generator, asking for each chunk in a worker thread,
    and closes the generator when the response ends, however it ends."""

    def __init__(self, chunks: Iterator[bytes], **kwargs: Any) -> None:
        self._chunks = chunks
        self._sent = _in_threads(chunks)
        super().__init__(self._sent, **kwargs)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await self._sent.aclose()
                await anyio.to_thread.run_sync(_close, self._chunks)


async def _in_threads(chunks: Iterator[bytes]) -> AsyncGenerator[bytes]:
    while (chunk := await anyio.to_thread.run_sync(next, chunks, None)) is not None:
        yield chunk


def _close(chunks: Iterator[bytes]) -> None:
    close = getattr(chunks, "close", None)
    if close is not None:
        close()
