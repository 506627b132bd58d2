"""Everyone's conversation with the app, as their phone would show it: what they sent, the
bot's passive replies and every push the stand-in delivered, cards changed in place.

Kept in memory for one demo run; the page and `shiji chat` read it and follow it live.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from bot.clock import Clock
from bot.testing.standin import Delivery, Upload

Entry = dict[str, Any]


class ConversationBook:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._entries: dict[str, list[Entry]] = defaultdict(list)
        self._ids = itertools.count(1)
        self._cards: dict[str, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._followers: dict[asyncio.Queue[dict[str, Any] | None], str] = {}
        self.spoken: set[str] = set()  # people played on the page: the district leaves them be

    # ---- reading ----

    def conversation(self, userid: str) -> list[Entry]:
        return list(self._entries.get(userid, ()))

    def entry(self, userid: str, entry_id: int) -> Entry | None:
        return next((e for e in self._entries.get(userid, ()) if e["id"] == entry_id), None)

    def follow(self, userid: str) -> asyncio.Queue[dict[str, Any] | None]:
        """A queue of this person's new and changed entries, and of clock moves; None = closed."""
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._followers[queue] = userid
        return queue

    def unfollow(self, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        self._followers.pop(queue, None)

    def close(self) -> None:
        for queue in self._followers:
            queue.put_nowait(None)

    # ---- writing ----

    def add(self, userid: str, side: str, kind: str, **fields: Any) -> Entry:
        entry: Entry = {
            "id": next(self._ids), "side": side, "kind": kind,
            "at": self._clock.now().isoformat(timespec="seconds"), **fields,
        }
        if kind == "card":
            entry["card_no"] = next(self._cards[userid])
        self._entries[userid].append(entry)
        self._tell(userid, {"type": "entry", "entry": entry})
        return entry

    def said(self, userid: str, text: str, reply: str) -> None:
        """A message and the bot's passive reply to it."""
        self.add(userid, "me", "text", text=text)
        if reply:
            self.add(userid, "bot", "text", text=reply)

    def changed(self, userid: str, entry: Entry, **fields: Any) -> None:
        """A card updated in place (a passive reply to a tap, or update_template_card)."""
        entry.update(fields)
        self._tell(userid, {"type": "update", "entry": entry})

    def clock_moved(self) -> None:
        event = {"type": "clock", "now": self._clock.now().isoformat(timespec="seconds")}
        for queue in self._followers:
            queue.put_nowait(event)

    def delivered(self, delivery: Delivery, uploads: Mapping[str, Upload]) -> None:
        """The stand-in's listener: what WeCom just showed on each recipient's phone."""
        payload = delivery.payload
        for userid in delivery.recipients:
            if delivery.path == "message/update_template_card":
                self._update_sent_card(userid, payload)
            elif delivery.msgtype == "template_card":
                self.add(userid, "bot", "card", card=payload["template_card"],
                         response_code=delivery.response_code)
            elif delivery.text is not None:
                self.add(userid, "bot", delivery.msgtype or "text", text=delivery.text)
            else:  # image, file: fetched from the stand-in by media id
                media_id = (payload.get(delivery.msgtype or "") or {}).get("media_id")
                upload = uploads.get(media_id) if isinstance(media_id, str) else None
                self.add(userid, "bot", delivery.msgtype or "other", media_id=media_id,
                         filename=upload.filename if upload else None)

    def _update_sent_card(self, userid: str, payload: dict[str, Any]) -> None:
        code = payload.get("response_code")
        entry = next((e for e in self._entries.get(userid, ()) if e.get("response_code") == code), None)
        if entry is None:
            return
        if isinstance(payload.get("template_card"), dict):
            self.changed(userid, entry, card=payload["template_card"])
        else:
            self.changed(userid, entry, replace_name=payload["button"]["replace_name"])

    def _tell(self, userid: str, event: dict[str, Any]) -> None:
        for queue, follower in self._followers.items():
            if follower == userid:
                queue.put_nowait(event)
