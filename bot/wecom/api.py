"""Async client for the WeCom server API (access token, message/send, update_template_card,
and reading the address book).

Written on aiohttp rather than wechatpy's synchronous client, which has no timeout, no
template-card API and recurses without bound on token errors (docs/wecom/NOTES.md).

Delivery semantics: a call is retried on transient failures with exponential backoff, and
every send asks WeCom to drop duplicates of the same message to the same people within 30
minutes (`enable_duplicate_check`), so a retry after an ambiguous failure (timeout, 5xx after
WeCom already delivered) does not reach anyone twice. The flip side: an identical text sent on
purpose to the same person within 30 minutes is also dropped by WeCom; vary the text.

81013 (every recipient invalid) is not raised: it comes back as a `SendResult` listing every
recipient in `invalid_users`, exactly like a partial failure, because for the caller both mean
"these people were not reached" and a batch split must not fail half-way.

Secrets stay out of error texts: the query string carries `corpsecret` (gettoken) or the
access token (every other call), and error texts go to the outbox, the log and the admin's
chat. Redirects are never followed (a proxy or captive portal that loops would otherwise
surface the full URL in aiohttp's TooManyRedirects); every error text is built from our own
words, the exception's type and WeCom's errcode, never from an exception's message or WeCom's
errmsg, and passes through `redact` besides.
"""

from __future__ import annotations

import asyncio
import bisect
import io
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from scoring.wecom_protocol import MAX_RECIPIENTS, TEXT_LIMIT_BYTES

__all__ = [
    "MAX_RECIPIENTS",
    "TEXT_LIMIT_BYTES",
    "RecipientRateLimiter",
    "SendResult",
    "WeComClient",
    "WeComError",
    "WeComTransientError",
    "batched",
    "message_parts",
    "redact",
    "split_text",
]

DUPLICATE_CHECK_INTERVAL = 1800

# 40001 with a token means "invalid credential": the token, not the secret, went bad.
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
# -1 system busy, 45009 API frequency limit, 45033 concurrency limit.
TRANSIENT_ERRCODES = frozenset({-1, 45009, 45033})
ALL_INVALID = 81013
# WeCom's "不合法的参数", also its answer to a response_code already used or past its 72 h.
INVALID_PARAMETER = 40035


# A secret's value in a URL, also percent-encoded inside another URL (a portal's `?from=…`).
_SECRET_IN_URL = re.compile(r"((?:corpsecret|access_token)(?:=|%3D))[^&#\s'\"]*", re.IGNORECASE)


def redact(text: str) -> str:
    """`text` with the value of every `corpsecret` and `access_token` in it blanked."""
    return _SECRET_IN_URL.sub(r"\1***", text)


class WeComError(Exception):
    """WeCom refused a call; `errcode` is None when no WeCom answer was received at all.

    `errmsg` is our own description (the call's path, what went wrong by type), never text
    from WeCom or from an exception: see the module's note on secrets."""

    def __init__(self, errcode: int | None, errmsg: str) -> None:
        errmsg = redact(errmsg)
        super().__init__(f"WeCom error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg

    @property
    def text(self) -> str:
        """What the outbox row, the log and the admin's 缺记统计 show: the errcode first."""
        return self.errmsg if self.errcode is None else f"{self.errcode} {self.errmsg}"


class WeComTransientError(WeComError):
    """A retryable failure that outlasted every attempt; retrying later may well succeed."""


@dataclass(frozen=True)
class SendResult:
    """Outcome of one logical send, which may have taken several calls (batches, text parts)."""

    invalid_users: tuple[str, ...] = ()
    response_code: str | None = None  # first batch's; see response_codes
    msgid: str | None = None  # first call's; see msgids
    msgids: tuple[str, ...] = ()
    response_codes: tuple[str, ...] = ()  # one per batch of a template card

    @classmethod
    def merge(cls, results: Iterable[SendResult]) -> SendResult:
        invalid: dict[str, None] = {}
        msgids: list[str] = []
        codes: list[str] = []
        for r in results:
            invalid.update(dict.fromkeys(r.invalid_users))
            msgids.extend(r.msgids)
            codes.extend(r.response_codes)
        return cls(
            invalid_users=tuple(invalid),
            response_code=codes[0] if codes else None,
            msgid=msgids[0] if msgids else None,
            msgids=tuple(msgids),
            response_codes=tuple(codes),
        )


def batched(userids: Sequence[str], size: int = MAX_RECIPIENTS) -> list[tuple[str, ...]]:
    """Validated, de-duplicated recipients in WeCom-sized batches, order kept."""
    unique = list(dict.fromkeys(userids))
    if not unique:
        raise ValueError("no recipients")
    for uid in unique:
        # '|' joins the touser list: an id containing it would address someone else.
        if not uid or "|" in uid or uid != uid.strip() or uid == "@all":
            raise ValueError(f"invalid userid {uid!r}")
    return [tuple(unique[i : i + size]) for i in range(0, len(unique), size)]


def split_text(content: str, limit_bytes: int = TEXT_LIMIT_BYTES) -> list[str]:
    """Split text into parts of at most `limit_bytes` UTF-8 bytes, joined back losslessly.

    Cuts at line ends where possible, and at a blank line (a paragraph's end) when one lies in
    the second half of the part, so a heading stays with what it heads (帮助's sections); a
    single over-long line is cut between characters. `"".join(split_text(s)) == s` always holds.
    """
    if limit_bytes < 4:
        raise ValueError("limit_bytes must fit any character (4 bytes)")
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for line in content.splitlines(keepends=True):
        n = _utf8_len(line)
        if current and size + n > limit_bytes:
            keep = _paragraph_end(current, limit_bytes)
            parts.append("".join(current[:keep]))
            current = current[keep:]  # the start of the paragraph that did not fit, carried
            size = sum(_utf8_len(kept) for kept in current)
            if current and size + n > limit_bytes:
                parts.append("".join(current))
                current, size = [], 0
        if size + n <= limit_bytes:
            current.append(line)
            size += n
            continue
        for piece in _cut_line(line, limit_bytes):
            parts.append(piece)
        # The last piece of a long line may share a part with the next lines.
        last = parts.pop()
        current, size = [last], _utf8_len(last)
    if current:
        parts.append("".join(current))
    return parts


def _paragraph_end(lines: list[str], limit_bytes: int) -> int:
    """How many of a full part's lines to send: through its last blank line if that keeps the
    part at least half full, else all of them."""
    size = sum(_utf8_len(line) for line in lines)
    for keep in range(len(lines) - 1, 0, -1):
        size -= _utf8_len(lines[keep])
        if size < limit_bytes // 2:
            break
        if not lines[keep - 1].strip():
            return keep
    return len(lines)


def message_parts(content: str) -> list[str]:
    """The messages a text or markdown send becomes, in order (see `split_text`)."""
    # Whitespace-only parts are invisible and WeCom refuses them (44004).
    return [p for p in split_text(content) if p.strip()]


def _utf8_len(text: str) -> int:
    # surrogatepass: a lone surrogate (it happens in pasted text) must not crash a split.
    return len(text.encode("utf-8", "surrogatepass"))


def _cut_line(line: str, limit_bytes: int) -> list[str]:
    pieces: list[str] = []
    start = 0
    size = 0
    for i, ch in enumerate(line):
        n = _utf8_len(ch)
        if size + n > limit_bytes:
            pieces.append(line[start:i])
            start, size = i, 0
        size += n
    pieces.append(line[start:])
    return pieces


class RecipientRateLimiter:
    """Tracks per-recipient sends against WeCom's per-member caps (30/min, 1,000/h per app).

    WeCom drops excess messages silently, so the caller (bot/sender.py) asks `delay_for` before
    sending and `record`s what it sent. The sender builds one per batch from the history every
    replica shares in the database (`seed`, `stamps`: storage/models.py MemberSends). A sliding
    window rather than a token bucket: a bucket holding 30 tokens refilled at 30/min admits up
    to 60 messages in some 60-second window, which WeCom would partly drop.
    """

    def __init__(
        self,
        per_minute: int = 30,
        per_hour: int = 1000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limits = ((60.0, per_minute), (3600.0, per_hour))
        self._clock = monotonic
        self._sent: dict[str, list[float]] = {}

    def _history(self, userid: str, now: float) -> list[float]:
        stamps = self._sent.get(userid)
        if stamps is None:
            return []
        del stamps[: bisect.bisect_right(stamps, now - 3600.0)]
        if not stamps:
            del self._sent[userid]  # idle users cost no memory
        return stamps

    def _wait(self, userid: str, now: float, count: int) -> float:
        stamps = self._history(userid, now)
        wait = 0.0
        for window, limit in self._limits:
            if count > limit:
                raise ValueError(f"{count} messages exceed the cap of {limit} per {window:.0f} s")
            inside = len(stamps) - bisect.bisect_right(stamps, now - window)
            excess = inside + count - limit
            if excess > 0:
                # The excess-th oldest send inside the window has to leave it first.
                oldest = stamps[len(stamps) - inside + excess - 1]
                wait = max(wait, oldest + window - now)
        return wait

    def delay_for(self, userids: Iterable[str], count: int = 1) -> float:
        """Seconds until every one of `userids` may receive `count` more messages."""
        now = self._clock()
        return max((self._wait(u, now, count) for u in set(userids)), default=0.0)

    def record(self, userids: Iterable[str], count: int = 1, at: float | None = None) -> None:
        """Count messages sent (or about to be, by `at` at the latest) to each of `userids`."""
        now = self._clock()
        stamp = now if at is None else at
        for u in set(userids):
            self._history(u, now)
            stamps = self._sent.setdefault(u, [])
            at_ = bisect.bisect_right(stamps, stamp)  # another replica's stamps may be later
            stamps[at_:at_] = [stamp] * count

    def seed(self, userid: str, stamps: Iterable[float]) -> None:
        """What `userid` was sent before (one stamp per message), as another sender recorded it."""
        self._sent[userid] = sorted(stamps)

    def stamps(self, userid: str) -> list[float]:
        """`userid`'s sends still inside the longest window, oldest first."""
        return list(self._history(userid, self._clock()))


class WeComClient:
    """One self-built app's outgoing API. Share one instance per app: it owns the token."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_base: str,
        corp_id: str,
        secret: str,
        agent_id: int,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_attempts: int = 4,
        *,
        timeout: float = 10.0,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        token_margin: float = 300.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._session = session
        self._base = api_base.rstrip("/")
        self._corp_id = corp_id
        self._secret = secret
        self.agent_id = agent_id
        self._sleep = sleep
        self._max_attempts = max_attempts
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._margin = token_margin
        self._clock = monotonic
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._token_deadline = 0.0

    # ---- public API ----

    async def send_text(
        self, userids: Sequence[str], content: str, *, duplicate_check: bool = True
    ) -> SendResult:
        """Send text to any number of users; long text goes as several messages, in order.

        `duplicate_check=False` for a text that may legitimately repeat within 30 minutes
        (WeCom would otherwise drop the repeat); then a retry may deliver twice.
        """
        return await self._send_split("text", userids, content, duplicate_check)

    async def send_markdown(
        self, userids: Sequence[str], content: str, *, duplicate_check: bool = True
    ) -> SendResult:
        """Markdown (not shown in WeChat's work-bench); split like text if too long."""
        return await self._send_split("markdown", userids, content, duplicate_check)

    async def send_template_card(
        self, userids: Sequence[str], card: Mapping[str, Any]
    ) -> SendResult:
        """Send a card; interactive cards return the `response_code` for updating it.

        A card with a `task_id` goes to at most 1,000 people: WeCom accepts each task_id once
        per app, ever, so a second batch would be refused. Send such cards per batch, each
        with its own task_id. Cards without one are batched (see `response_codes`).
        """
        batches = batched(userids)
        if len(batches) > 1 and card.get("task_id") is not None:
            raise ValueError(f"a card with a task_id reaches at most {MAX_RECIPIENTS} users")
        results = [
            await self._send(batch, "template_card", {"template_card": dict(card)}, True)
            for batch in batches
        ]
        return SendResult.merge(results)

    async def update_template_card(
        self,
        userids: Sequence[str],
        response_code: str,
        card: Mapping[str, Any] | None = None,
        replace_name: str | None = None,
    ) -> SendResult:
        """Replace a sent card (or relabel its buttons); a response_code works once, for 72 h."""
        if (card is None) == (replace_name is None):
            raise ValueError("give exactly one of card or replace_name")
        payload: dict[str, Any] = {
            "userids": list(dict.fromkeys(userids)),
            "agentid": self.agent_id,
            "response_code": response_code,
        }
        if len(payload["userids"]) > MAX_RECIPIENTS:
            raise ValueError(f"at most {MAX_RECIPIENTS} userids")
        if card is not None:
            payload["template_card"] = dict(card)
        else:
            payload["button"] = {"replace_name": replace_name}
        data = await self._call("message/update_template_card", payload)
        return SendResult(invalid_users=tuple(u for u in str(data.get("invaliduser") or "").split("|") if u))

    # ---- address book (通讯录), with the app's own permissions ----

    async def departments(self) -> list[dict[str, Any]]:
        """department/list: the departments inside the app's visible range (id, name, parentid)."""
        data = await self._call("department/list", None, method="GET")
        return [d for d in data.get("department") or [] if isinstance(d, dict)]

    async def department_members(self, department_id: int) -> list[dict[str, Any]]:
        """user/list: one department's members (userid, name, department ids, position, status).

        Since 2022-06-20 a newly created self-built app no longer gets avatar, gender, mobile,
        email, biz_mail, qr_code or address here; user/list_id needs the 通讯录同步 secret,
        which this app does not hold. Nothing shiji needs is among the withheld fields.
        """
        data = await self._call("user/list", None, method="GET", params={"department_id": str(department_id)})
        return [u for u in data.get("userlist") or [] if isinstance(u, dict)]

    async def upload_media(self, kind: str, filename: str, data: bytes) -> str:
        """media/upload (doc 90253): the media_id of `data` as an image or file, valid 3 days."""

        def form() -> aiohttp.FormData:  # a fresh body per attempt: a sent FormData is spent
            body = aiohttp.FormData(quote_fields=False)  # WeCom shows the filename as sent
            # A stream, not bytes: aiohttp warns that a raw body over 1 MB blocks the loop.
            body.add_field("media", io.BytesIO(data), filename=filename, content_type="application/octet-stream")
            return body

        reply = await self._call("media/upload", {}, params={"type": kind}, form=form)
        media_id = reply.get("media_id")
        if not isinstance(media_id, str) or not media_id:
            raise WeComError(reply.get("errcode"), "media/upload answered without a media_id")
        return media_id

    async def send_media(self, userids: Sequence[str], kind: str, media_id: str) -> SendResult:
        """An image or file message of an uploaded media_id."""
        results = [await self._send(batch, kind, {kind: {"media_id": media_id}}, True) for batch in batched(userids)]
        return SendResult.merge(results)

    # ---- sending ----

    async def _send_split(
        self, msgtype: str, userids: Sequence[str], content: str, duplicate_check: bool
    ) -> SendResult:
        parts = message_parts(content)
        if not parts:
            raise ValueError("empty content")
        batches = batched(userids)
        results = [
            await self._send(batch, msgtype, {msgtype: {"content": part}}, duplicate_check)
            for part in parts
            for batch in batches
        ]
        return SendResult.merge(results)

    async def _send(
        self,
        batch: tuple[str, ...],
        msgtype: str,
        body: dict[str, Any],
        duplicate_check: bool,
    ) -> SendResult:
        payload = {
            "touser": "|".join(batch),
            "msgtype": msgtype,
            "agentid": self.agent_id,
            **body,
            "enable_duplicate_check": int(duplicate_check),
            "duplicate_check_interval": DUPLICATE_CHECK_INTERVAL,
        }
        data = await self._call("message/send", payload, accept=(ALL_INVALID,))
        invalid = tuple(u for u in str(data.get("invaliduser") or "").split("|") if u)
        if data.get("errcode") == ALL_INVALID and not invalid:
            invalid = batch
        msgid = data.get("msgid")
        code = data.get("response_code")
        return SendResult(
            invalid_users=invalid,
            response_code=code or None,
            msgid=msgid or None,
            msgids=(str(msgid),) if msgid else (),
            response_codes=(str(code),) if code else (),
        )

    # ---- transport ----

    async def _call(
        self, path: str, payload: dict[str, Any] | None, accept: Iterable[int] = (),
        *, method: str = "POST", params: dict[str, str] | None = None,
        form: Callable[[], aiohttp.FormData] | None = None,
    ) -> dict[str, Any]:
        """Call with a token; refresh the token at most once per call on a token error.
        `form` (multipart uploads) replaces the JSON `payload`."""
        refreshed = False
        while True:
            token = await self._access_token()
            data = await self._request(method, path, {**(params or {}), "access_token": token}, payload, form)
            errcode = data.get("errcode", 0)
            if errcode == 0 or errcode in accept:
                return data
            if errcode in TOKEN_ERRCODES and not refreshed:
                refreshed = True
                await self._invalidate(token)
                continue
            raise WeComError(errcode, f"{path} refused")

    async def _access_token(self) -> str:
        async with self._lock:
            if self._token is not None and self._clock() < self._token_deadline:
                return self._token
            data = await self._request(
                "GET", "gettoken", {"corpid": self._corp_id, "corpsecret": self._secret}, None
            )
            errcode = data.get("errcode", 0)
            token = data.get("access_token")
            if errcode != 0 or not isinstance(token, str) or not token:
                raise WeComError(errcode, "gettoken gave no access_token")
            try:
                expires_in = float(data.get("expires_in") or 7200)
            except (TypeError, ValueError):
                expires_in = 7200.0
            # Refresh early so a token never dies in flight; short lifetimes refresh at half.
            margin = min(self._margin, expires_in / 2)
            self._token = token
            self._token_deadline = self._clock() + expires_in - margin
            return token

    async def _invalidate(self, token: str) -> None:
        async with self._lock:
            # Another task may already have replaced it; don't throw away a fresh token.
            if self._token == token:
                self._token = None

    async def _request(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        payload: dict[str, Any] | None,
        form: Callable[[], aiohttp.FormData] | None = None,
    ) -> dict[str, Any]:
        """One API call with bounded retries of transient failures; returns the JSON body."""
        url = f"{self._base}/cgi-bin/{path}"
        attempt = 0
        while True:
            attempt += 1
            errcode: int | None
            try:
                body = {"data": form()} if form is not None else {"json": payload}
                async with self._session.request(
                    method, url, params=params, timeout=self._timeout, allow_redirects=False, **body
                ) as resp:
                    # WeCom's API never redirects; a 3xx is a proxy or captive portal in the way.
                    if resp.status >= 500 or 300 <= resp.status < 400:
                        raise _Retry(None, f"HTTP {resp.status}")
                    if resp.status != 200:
                        raise WeComError(None, f"{path}: HTTP {resp.status}")
                    data = await resp.json(content_type=None)
                if not isinstance(data, dict):
                    raise _Retry(None, "response is not a JSON object")
                errcode = data.get("errcode", 0)
                if errcode not in TRANSIENT_ERRCODES:
                    return data
                reason = f"errcode {errcode}"
            except _Retry as exc:
                errcode, reason = exc.errcode, exc.reason
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                # ValueError: a 200 whose body is not JSON (a proxy's error page, say). The type
                # alone: aiohttp's messages hold the URL, and the URL the secret or the token.
                errcode, reason = None, type(exc).__name__
            if attempt >= self._max_attempts:
                raise WeComTransientError(errcode, f"{path}: {reason} (after {attempt} attempts)")
            await self._sleep(self._backoff(attempt))

    def _backoff(self, attempt: int) -> float:
        return float(min(self._backoff_cap, self._backoff_base * 2 ** (attempt - 1)))


class _Retry(Exception):
    def __init__(self, errcode: int | None, reason: str) -> None:
        super().__init__(reason)
        self.errcode = errcode
        self.reason = reason
