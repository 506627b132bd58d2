"""An image or a file for the asker (a chart, an exported archive), pushed after the reply."""

from __future__ import annotations

import base64
import uuid

from handlers.base import Ctx


async def queue_media(ctx: Ctx, kind: str, filename: str, data: bytes) -> None:
    """An image or file for the asker, sent after the reply (the sender uploads it through
    media/upload, then sends it); queued in the message's transaction like any push."""
    payload = {"filename": filename, "data": base64.b64encode(data).decode()}
    await ctx.store.outbox.enqueue(f"media:{uuid.uuid4().hex}", [ctx.userid], kind, payload, ctx.now)
