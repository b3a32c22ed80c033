"""The pages of every List* call: ``PAGE_SIZE`` items and an opaque token that names the operation and the offset."""

from __future__ import annotations

import base64
import json
import typing as t

from . import exceptions as exc

PAGE_SIZE = 100  # items per page of every List* call (AWS does not document its page size)


def paginate(
    items: list[t.Any], next_token: str | None, operation: str, token_key: str = "nextToken"
) -> tuple[list[t.Any], dict[str, str]]:
    """One page of ``items`` and, unless it is the last page, ``{token_key: <opaque token>}``."""
    start = 0
    if next_token:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(next_token.encode()).decode())
            if decoded["op"] != operation:
                raise ValueError(operation)
            start = int(decoded["offset"])
            if start < 0:
                raise ValueError(start)
        except (ValueError, KeyError, TypeError) as error:
            raise exc.InvalidNextToken(f"The next token '{next_token}' is invalid for {operation}.") from error
    page = items[start : start + PAGE_SIZE]
    end = start + PAGE_SIZE
    if end < len(items):
        token = base64.urlsafe_b64encode(json.dumps({"op": operation, "offset": end}).encode()).decode()
        return page, {token_key: token}
    return page, {}
