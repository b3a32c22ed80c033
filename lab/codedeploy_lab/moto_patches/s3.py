"""S3: GetObject streams large objects instead of reading them whole.

moto's GetObject reads the whole object into memory for every request (``FakeKey.value``); the lab's agent downloads a
bundle to many hosts at once, so a plain GET (no Range, no partNumber) of an object of 1 MiB or more streams from the
key's buffer instead, a chunk at a time.
"""

from __future__ import annotations

import inspect
import threading
import typing as t

from moto.s3.models import FakeKey
from moto.s3.responses import S3Response

from .patching import replace

STREAM_FROM_BYTES = 1 << 20


class _KeyBody:
    """A FakeKey's content as a WSGI body: chunks read under the key's lock, its size as ``len()``."""

    def __init__(self, key: t.Any) -> None:
        self.key = key

    def __len__(self) -> int:
        return int(self.key.size)

    def __iter__(self) -> t.Iterator[bytes]:
        position = 0
        while True:
            with self.key.lock:
                self.key._value_buffer.seek(position)
                chunk = self.key._value_buffer.read(STREAM_FROM_BYTES)
            if not chunk:
                return
            position += len(chunk)
            yield chunk


def install() -> None:
    original_get_object = S3Response.get_object
    value: property = inspect.getattr_static(FakeKey, "value")  # the property itself, not what it reads
    plain_get = threading.local()  # set only while get_object builds its answer, in this request's thread

    def get_object(self: S3Response) -> t.Any:
        plain_get.on = not self.headers.get("range") and not self.querystring.get("partNumber")
        try:
            return original_get_object(self)
        finally:
            plain_get.on = False

    def streamed_value(key: FakeKey) -> t.Any:
        if getattr(plain_get, "on", False) and key.size >= STREAM_FROM_BYTES:
            return _KeyBody(key)
        return value.__get__(key, FakeKey)

    replace(S3Response, "get_object", get_object)
    replace(FakeKey, "value", property(streamed_value, value.fset))
