"""A loopback stand-in for the WeCom server API that holds the bot to WeCom's documented rules.

It implements gettoken, media/upload (with image and file messages), message/send,
message/update_template_card and the address-book reads (department/list, user/list). Every
payload goes through bot/testing/rules.py (each rule cites its document) and is refused with
WeCom's error code when it breaks one; what WeCom accepts but does not deliver, the stand-in
does not deliver either: messages past a member's 30 a minute or 1,000 an hour are dropped
silently and counted in `state.dropped`. It records every delivery per user and lets tests
inject faults. Anything
else is a 404 recorded in `state.unexpected`, which tests assert stays empty.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from aiohttp import web

from bot.testing import rules
from bot.testing.rules import Refused

__all__ = [
    "STANDIN_STATE",
    "AddressBook",
    "Delivery",
    "StandinState",
    "create_standin_app",
    "start_standin",
]

GETTOKEN = "/cgi-bin/gettoken"
UPLOAD = "/cgi-bin/media/upload"
SEND = "/cgi-bin/message/send"
UPDATE_CARD = "/cgi-bin/message/update_template_card"
DEPARTMENTS = "/cgi-bin/department/list"
MEMBERS = "/cgi-bin/user/list"
ROUTES = {
    GETTOKEN: "GET", DEPARTMENTS: "GET", MEMBERS: "GET", UPLOAD: "POST", SEND: "POST", UPDATE_CARD: "POST",
}

# doc 90455 全局错误码
ERR_INVALID_CREDENTIAL = 40001  # wrong corpsecret
ERR_INVALID_CORPID = 40013
ERR_INVALID_TOKEN = 40014
ERR_TOKEN_MISSING = 41001
ERR_TOKEN_EXPIRED = 42001
ERR_BAD_JSON = 47001
ERR_ALL_RECIPIENTS_INVALID = 81013  # doc 90236 「如果全部接收人无权限或不存在…errcode为81013」
ERR_NO_PRIVILEGE = 60011  # outside the app's visible range (可见范围)
ERR_INVALID_DEPARTMENT = 60123

# Per app and member (doc 90454 发送应用消息频率): 「每应用对同一个成员不可超过30次/分钟，
# 1000次/小时，超过部分会被丢弃不下发」. Whether the minute is sliding or on the clock is not
# documented; a sliding window is the stricter reading.
MEMBER_LIMITS = ((60.0, 30), (3600.0, 1000))


class _ApiError(Refused):
    """A refusal whose answer carries more fields (81013 lists the invalid users)."""

    def __init__(self, errcode: int, errmsg: str, **extra: Any) -> None:
        super().__init__(errcode, errmsg)
        self.extra = extra


@dataclass(frozen=True)
class Delivery:
    """One accepted call: what each recipient now sees."""

    path: str  # "message/send" or "message/update_template_card"
    payload: dict[str, Any]
    recipients: tuple[str, ...]  # valid recipients only
    msgid: str | None = None
    response_code: str | None = None

    @property
    def msgtype(self) -> str | None:
        value = self.payload.get("msgtype")
        return value if isinstance(value, str) else None

    @property
    def text(self) -> str | None:
        """Content of a text or markdown message."""
        body = self.payload.get(self.msgtype or "")
        if self.msgtype in ("text", "markdown") and isinstance(body, dict):
            content = body.get("content")
            return content if isinstance(content, str) else None
        return None


@dataclass
class _Fault:
    errcode: int
    errmsg: str
    http_status: int
    after_delivery: bool
    disconnect: bool


@dataclass
class _IssuedCode:
    recipients: tuple[str, ...]
    issued_at: float
    used: bool = False


@dataclass
class AddressBook:
    """通讯录: departments (id -> (name, parentid), 1 is the root) and members, and the app's
    visible range (departments whose subtrees it may read; None = the whole company)."""

    departments: dict[int, tuple[str, int]] = field(default_factory=lambda: {1: ("本单位", 0)})
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    visible: set[int] | None = None

    def department(self, name: str, parent: int = 1) -> int:
        """The id of the department called `name`, created under `parent` if new."""
        for dept_id, (dept_name, _) in self.departments.items():
            if dept_name == name:
                return dept_id
        dept_id = max(self.departments) + 1
        self.departments[dept_id] = (name, parent)
        return dept_id

    def add_member(self, userid: str, name: str, department: str, position: str = "", status: int = 1) -> None:
        self.members[userid] = {"userid": userid, "name": name, "department": [self.department(department)],
                                "position": position, "status": status}

    def can_see(self, dept_id: int) -> bool:
        while self.visible is not None and dept_id not in self.visible:
            if dept_id not in self.departments or dept_id == 1:
                return False
            dept_id = self.departments[dept_id][1]
        return True


@dataclass
class StandinState:
    """What the stand-in knows and has seen; tests read and steer it."""

    corp_id: str
    secret: str
    agent_id: int
    known_users: set[str] | None = None
    address_book: AddressBook = field(default_factory=AddressBook)
    token_ttl: int = 7200
    clock: Callable[[], float] = time.monotonic
    # What a user's time counts (the duplicate check's interval, a response_code's 72 hours,
    # a media_id's 3 days, a member's 30 messages a minute); `clock` when None. The demo runs
    # them on its movable business clock, so a jump across days is days to them too; access
    # tokens stay on `clock`.
    business_clock: Callable[[], float] | None = None
    sent: list[Delivery] = field(default_factory=list)
    calls: list[tuple[str, int]] = field(default_factory=list)  # (path, errcode) of every call
    unexpected: list[str] = field(default_factory=list)
    # Messages WeCom accepted but dropped for going past a member's limits, per member.
    dropped: Counter[str] = field(default_factory=Counter)
    # Told of every delivery as it happens (the demo page shows pushes live).
    listeners: list[Callable[[Delivery], None]] = field(default_factory=list)
    _tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry on `clock`
    _current: str | None = None
    _faults: dict[str, deque[_Fault]] = field(default_factory=dict)
    _codes: dict[str, _IssuedCode] = field(default_factory=dict)
    _task_ids: set[str] = field(default_factory=set)
    _recent: dict[str, tuple[float, str]] = field(default_factory=dict)  # dedupe key -> (t, msgid)
    _msgids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    uploads: dict[str, Upload] = field(default_factory=dict)  # media_id -> what was uploaded
    _member_sends: dict[str, deque[float]] = field(default_factory=dict)  # delivered at, per member

    # ---- what tests read ----

    def messages_for(self, userid: str) -> list[Delivery]:
        """Everything delivered to `userid`, sends and card updates, in order."""
        return [d for d in self.sent if userid in d.recipients]

    def texts_for(self, userid: str) -> list[str]:
        return [d.text for d in self.messages_for(userid) if d.text is not None]

    def deliver(self, delivery: Delivery) -> None:
        self.sent.append(delivery)
        for listener in self.listeners:
            listener(delivery)

    def count(self, path: str) -> int:
        """Calls made to `path` (e.g. "gettoken"), whatever their outcome."""
        full = _normalise(path)
        return sum(1 for p, _ in self.calls if p == full)

    # ---- how tests steer ----

    def fail_next(
        self,
        path: str,
        errcode: int,
        times: int = 1,
        *,
        errmsg: str = "injected fault",
        http_status: int = 200,
        after_delivery: bool = False,
    ) -> None:
        """Make the next `times` calls to `path` fail.

        `after_delivery` does the work first and then reports the failure: the ambiguous case
        (message delivered, caller told otherwise) that duplicate checking exists for.
        """
        queue = self._faults.setdefault(_normalise(path), deque())
        for _ in range(times):
            queue.append(_Fault(errcode, errmsg, http_status, after_delivery, disconnect=False))

    def disconnect_next(self, path: str, times: int = 1, *, after_delivery: bool = False) -> None:
        """Drop the connection without answering the next `times` calls to `path`."""
        queue = self._faults.setdefault(_normalise(path), deque())
        for _ in range(times):
            queue.append(_Fault(0, "", 200, after_delivery, disconnect=True))

    def expire_tokens(self) -> None:
        """Every issued token is now expired (42001); the next gettoken issues a new one."""
        for token in self._tokens:
            self._tokens[token] = float("-inf")
        self._current = None

    def revoke_tokens(self) -> None:
        """Forget every token (40014), as when the secret is reset."""
        self._tokens.clear()
        self._current = None

    # ---- internals ----

    def _take_fault(self, path: str) -> _Fault | None:
        queue = self._faults.get(path)
        return queue.popleft() if queue else None

    def _issue_token(self) -> tuple[str, int]:
        now = self.clock()
        if self._current is not None and self._tokens.get(self._current, 0) > now:
            return self._current, int(self._tokens[self._current] - now)
        token = secrets.token_urlsafe(48)
        self._tokens[token] = now + self.token_ttl
        self._current = token
        return token, self.token_ttl

    def _check_token(self, token: str | None) -> None:
        if not token:
            raise _ApiError(ERR_TOKEN_MISSING, "access_token missing")
        expiry = self._tokens.get(token)
        if expiry is None:
            raise _ApiError(ERR_INVALID_TOKEN, "invalid access_token")
        if expiry <= self.clock():
            raise _ApiError(ERR_TOKEN_EXPIRED, "access_token expired")

    def _next_msgid(self) -> str:
        return f"standin-msg-{next(self._msgids)}"

    def lifetime_clock(self) -> float:
        """Now, as a user's time counts (see `business_clock`)."""
        return (self.business_clock or self.clock)()

    def media_known(self, media_id: str) -> bool:
        """An id an upload returned, less than 3 days ago (doc 90253)."""
        upload = self.uploads.get(media_id)
        return upload is not None and self.lifetime_clock() - upload.created_at <= MEDIA_TTL

    def _within_member_limits(self, userid: str) -> bool:
        """Count one message to `userid` if WeCom would deliver it; False if it drops it."""
        now = self.lifetime_clock()
        sent = self._member_sends.setdefault(userid, deque())
        while sent and sent[0] <= now - MEMBER_LIMITS[-1][0]:
            sent.popleft()
        for window, limit in MEMBER_LIMITS:
            if sum(1 for t in sent if t > now - window) >= limit:
                self.dropped[userid] += 1
                return False
        sent.append(now)
        return True


STANDIN_STATE = web.AppKey("wecom_standin_state", StandinState)


def _normalise(path: str) -> str:
    path = path.strip("/")
    if not path.startswith("cgi-bin/"):
        path = "cgi-bin/" + path
    return "/" + path


def _ok(**extra: Any) -> web.Response:
    return web.json_response({"errcode": 0, "errmsg": "ok", **extra})


def _json_body(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise _ApiError(ERR_BAD_JSON, "data format error") from None
    if not isinstance(data, dict):
        raise _ApiError(ERR_BAD_JSON, "data format error")
    return data


def _recipients(state: StandinState, users: list[str]) -> tuple[list[str], list[str]]:
    """(valid, invalid): unknown ids, and ids no WeCom member can have, are invalid."""
    if users == ["@all"]:
        return (sorted(state.known_users) if state.known_users is not None else users), []
    valid = [
        u for u in users
        if rules.is_userid(u) and (state.known_users is None or u in state.known_users)
    ]
    return valid, [u for u in users if u not in valid]


def _send(state: StandinState, data: dict[str, Any]) -> tuple[Delivery | None, dict[str, Any]]:
    rules.check_agent(data, state.agent_id)
    msgtype = rules.check_msgtype(data)
    users = rules.touser_ids(data.get("touser"))
    rules.check_parties(data)
    if not users and not data.get("toparty") and not data.get("totag"):
        raise Refused(rules.ERR_INVALID_PARAMETER, "touser, toparty and totag all empty (doc 90236)")
    body: Any = data.get(msgtype)  # JSON, checked for its msgtype below
    task_id = None
    if msgtype == "template_card":
        task_id = rules.check_card(body, state.media_known)
        if task_id is not None and task_id in state._task_ids:  # unique per app, for ever
            raise Refused(rules.ERR_TASK_ID, "taskid has existed (doc 90236)")
    elif msgtype in rules.MEDIA_MSGTYPES:
        _validate_media_message(state, msgtype, body)
    else:
        content = rules.content_of(msgtype, body)  # refuses anything but an object with content
        data = {**data, msgtype: {**body, "content": content}}
    valid, invalid = _recipients(state, users)
    if not valid:
        raise _ApiError(
            ERR_ALL_RECIPIENTS_INVALID,
            "user & party & tag all invalid",
            invaliduser="|".join(invalid),
        )
    extra: dict[str, Any] = {"invaliduser": "|".join(invalid)}

    # WeCom's duplicate check (doc 90236 enable_duplicate_check): the same message to the same
    # people within the interval (at most 4 h) is accepted but not delivered again.
    dedupe = None
    if data.get("enable_duplicate_check") in (1, "1", True):
        interval = float(data.get("duplicate_check_interval") or 1800)
        dedupe = json.dumps([msgtype, data.get(msgtype), sorted(valid)], sort_keys=True)
        seen = state._recent.get(dedupe)
        if seen is not None and state.lifetime_clock() - seen[0] < min(interval, 4 * 3600):
            return None, {**extra, "msgid": seen[1]}

    msgid = state._next_msgid()
    response_code = None
    if task_id is not None:
        state._task_ids.add(task_id)
    if msgtype == "template_card" and body["card_type"] in rules.INTERACTIVE_CARDS:
        response_code = secrets.token_urlsafe(32)
        state._codes[response_code] = _IssuedCode(tuple(valid), state.lifetime_clock())
        extra["response_code"] = response_code
    if dedupe is not None:
        state._recent[dedupe] = (state.lifetime_clock(), msgid)
    delivered = tuple(u for u in valid if state._within_member_limits(u))
    delivery = Delivery("message/send", data, delivered, msgid, response_code) if delivered else None
    return delivery, {**extra, "msgid": msgid}


def _update_card(state: StandinState, data: dict[str, Any]) -> Delivery:
    """doc 94888: a response_code works once, for 72 hours, for the people its card reached."""
    rules.check_agent(data, state.agent_id)
    code = data.get("response_code")
    issued = state._codes.get(code) if isinstance(code, str) else None
    if issued is None:
        raise Refused(rules.ERR_RESPONSE_CODE, "invalid response_code (doc 94888)")
    if issued.used:
        raise Refused(rules.ERR_RESPONSE_CODE, "response_code already used (doc 94888)")
    if state.lifetime_clock() - issued.issued_at > rules.RESPONSE_CODE_TTL:
        raise Refused(rules.ERR_RESPONSE_CODE, "response_code expired (doc 94888)")
    rules.update_form(data, state.media_known)
    users = data.get("userids") or []
    recipients = tuple(u for u in users if u in issued.recipients) if users else issued.recipients
    issued.used = True
    return Delivery("message/update_template_card", data, recipients)


async def _handle(request: web.Request) -> web.StreamResponse:
    state = request.app[STANDIN_STATE]
    path = request.path
    if ROUTES.get(path) != request.method:
        state.unexpected.append(f"{request.method} {request.path_qs}")
        raise web.HTTPNotFound()
    fault = state._take_fault(path)
    if fault is not None and fault.disconnect:
        if fault.after_delivery:
            try:
                _dispatch(state, path, request, await request.read())
            except Refused:
                pass
        state.calls.append((path, -1))
        if request.transport is not None:
            request.transport.close()
        return web.Response()  # never reaches the client
    raw = await request.read()
    try:
        if fault is not None and not fault.after_delivery:
            raise _ApiError(fault.errcode, fault.errmsg)
        response = _dispatch(state, path, request, raw)
    except Refused as exc:
        if fault is not None and fault.http_status != 200:
            state.calls.append((path, -fault.http_status))
            return web.Response(status=fault.http_status, text="injected")
        state.calls.append((path, exc.errcode))
        extra = exc.extra if isinstance(exc, _ApiError) else {}
        return web.json_response({"errcode": exc.errcode, "errmsg": exc.errmsg, **extra})
    if fault is not None:  # after_delivery: the work is done, the answer lies
        state.calls.append((path, fault.errcode))
        if fault.http_status != 200:
            return web.Response(status=fault.http_status, text="injected")
        return web.json_response({"errcode": fault.errcode, "errmsg": fault.errmsg})
    state.calls.append((path, 0))
    return response


def _dispatch(state: StandinState, path: str, request: web.Request, raw: bytes) -> web.Response:
    if path == GETTOKEN:
        corpid = request.query.get("corpid")
        secret = request.query.get("corpsecret")
        if corpid != state.corp_id:
            raise _ApiError(ERR_INVALID_CORPID, "invalid corpid")
        if secret != state.secret:
            raise _ApiError(ERR_INVALID_CREDENTIAL, "invalid credential")
        token, expires_in = state._issue_token()
        return _ok(access_token=token, expires_in=expires_in)
    state._check_token(request.query.get("access_token"))
    if path in (DEPARTMENTS, MEMBERS):
        return _address_book(state.address_book, path, request.query)
    if path == UPLOAD:
        return _upload(state, request, raw)
    data = _json_body(raw)
    if path == SEND:
        delivery, extra = _send(state, data)
        if delivery is not None:
            state.deliver(delivery)
        return _ok(**extra)
    state.deliver(_update_card(state, data))
    return _ok()


def _department_id(book: AddressBook, value: str | None) -> int:
    try:
        dept_id = int(value or "")
    except ValueError:
        raise _ApiError(ERR_INVALID_DEPARTMENT, "invalid party id") from None
    if dept_id not in book.departments:
        raise _ApiError(ERR_INVALID_DEPARTMENT, "invalid party id")
    if not book.can_see(dept_id):
        raise _ApiError(ERR_NO_PRIVILEGE, "no privilege to access/modify contact/party/agent")
    return dept_id


def _address_book(book: AddressBook, path: str, query: Any) -> web.Response:
    """department/list (the visible subtree) and user/list (one department's members) as a
    self-built app created after 2022-06-20 reads them: no avatar, gender, mobile, email or
    address."""
    if path == DEPARTMENTS:
        root = _department_id(book, query.get("id")) if query.get("id") else None

        def under(dept_id: int) -> bool:
            while dept_id != root and dept_id in book.departments and dept_id != 1:
                dept_id = book.departments[dept_id][1]
            return root is None or dept_id == root

        return _ok(department=[
            {"id": d, "name": name, "parentid": parent, "order": 0, "department_leader": []}
            for d, (name, parent) in sorted(book.departments.items()) if book.can_see(d) and under(d)
        ])
    dept_id = _department_id(book, query.get("department_id"))
    return _ok(userlist=[
        {**m, "main_department": m["department"][0], "order": [0] * len(m["department"])}
        for m in book.members.values() if dept_id in m["department"]
    ])


# ---- media/upload and image/file messages ---------------------------------------------------
# 上传临时素材, https://developer.work.weixin.qq.com/document/path/90253: multipart/form-data
# with the file in the part named "media" (filename, filelength, content-type); image ≤ 10 MB
# (JPG/PNG), voice ≤ 2 MB (AMR), video ≤ 10 MB (MP4), file ≤ 20 MB; every file > 5 bytes; the
# media_id lives 3 days. Codes from WeCom's global error-code table (doc 90313).

ERR_INVALID_MEDIA_TYPE = 40004  # type= not one of image/voice/video/file
ERR_INVALID_FILE_TYPE = 40005  # content is not of the type's format (a GIF as image)
ERR_INVALID_FILE_SIZE = 40006  # 5 bytes or less
ERR_INVALID_MEDIA_ID = 40007  # unknown or expired media_id in a message
ERR_INVALID_IMAGE_SIZE = 40009
ERR_INVALID_VIDEO_SIZE = 40011
ERR_EMPTY_MEDIA = 44001  # no "media" part
ERR_MEDIA_TOO_LARGE = 45001
MEDIA_TTL = 3 * 24 * 3600
MEDIA_MIN_BYTES = 6
MEDIA_LIMITS = {  # type -> (max bytes, code when larger, accepted magic prefixes or None = any)
    "image": (10 * 2**20, ERR_INVALID_IMAGE_SIZE, (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")),
    "voice": (2 * 2**20, ERR_MEDIA_TOO_LARGE, (b"#!AMR",)),
    "video": (10 * 2**20, ERR_INVALID_VIDEO_SIZE, None),
    "file": (20 * 2**20, ERR_MEDIA_TOO_LARGE, None),
}


@dataclass(frozen=True)
class Upload:
    """One accepted media/upload: tests open `data` (the PNG, the PDF) as the user would."""

    media_id: str
    type: str
    filename: str
    data: bytes
    created_at: float


def media_for(state: StandinState, userid: str) -> list[Upload]:
    """The images and files delivered to `userid`, in order."""
    found = []
    for delivery in state.messages_for(userid):
        body = delivery.payload.get(delivery.msgtype or "")
        if delivery.msgtype in rules.MEDIA_MSGTYPES and isinstance(body, dict):
            found.append(state.uploads[body["media_id"]])
    return found


def _upload(state: StandinState, request: web.Request, raw: bytes) -> web.Response:
    kind = request.query.get("type", "")
    if kind not in MEDIA_LIMITS:
        raise _ApiError(ERR_INVALID_MEDIA_TYPE, "invalid media type")
    content_type = request.headers.get("Content-Type", "")
    if not content_type.startswith("multipart/form-data"):
        raise _ApiError(ERR_EMPTY_MEDIA, "empty media data, multipart/form-data expected")
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
    parts = [p for p in message.iter_parts() if p.get_param("name", header="content-disposition") == "media"]
    if len(parts) != 1 or not parts[0].get_filename():
        raise _ApiError(ERR_EMPTY_MEDIA, "empty media data: one part named media with a filename")
    data = parts[0].get_payload(decode=True) or b""
    if not isinstance(data, bytes):  # a part that is itself multipart holds no file
        raise _ApiError(ERR_EMPTY_MEDIA, "empty media data: one part named media with a filename")
    limit, too_large, magics = MEDIA_LIMITS[kind]
    if len(data) < MEDIA_MIN_BYTES:
        raise _ApiError(ERR_INVALID_FILE_SIZE, "invalid file size: must be more than 5 bytes")
    if len(data) > limit:
        raise _ApiError(too_large, f"{kind} larger than {limit} bytes")
    if magics is not None and not data.startswith(magics):
        raise _ApiError(ERR_INVALID_FILE_TYPE, f"invalid file type for {kind}")
    media_id = secrets.token_urlsafe(33)
    state.uploads[media_id] = Upload(media_id, kind, str(parts[0].get_filename()), data, state.lifetime_clock())
    return _ok(type=kind, media_id=media_id, created_at=str(int(time.time())))


def _validate_media_message(state: StandinState, msgtype: str, body: Any) -> None:
    media_id = body.get("media_id") if isinstance(body, dict) else None
    if not isinstance(media_id, str) or not state.media_known(media_id):
        raise _ApiError(ERR_INVALID_MEDIA_ID, "invalid media_id")
    upload = state.uploads[media_id]
    if upload.type != msgtype:
        raise _ApiError(ERR_INVALID_MEDIA_ID, f"media_id is a {upload.type}, not a {msgtype}")


def create_standin_app(
    corp_id: str,
    secret: str,
    agent_id: int,
    *,
    known_users: Iterable[str] | None = None,
    clock: Callable[[], float] = time.monotonic,
    business_clock: Callable[[], float] | None = None,
    extend: Callable[[web.Application], None] | None = None,
) -> web.Application:
    """The stand-in as an aiohttp app; its state is `app[STANDIN_STATE]`. `extend` adds routes
    that are not WeCom's (the demo page, bot/demo/page.py) ahead of the catch-all."""
    state = StandinState(
        corp_id=corp_id,
        secret=secret,
        agent_id=agent_id,
        known_users=set(known_users) if known_users is not None else None,
        clock=clock,
        business_clock=business_clock,
    )
    # Bodies up to WeCom's largest upload (a 20 MB file) and a little more, so the limit is
    # answered as WeCom answers it (an errcode), not by aiohttp's 1 MB default (HTTP 413).
    app = web.Application(client_max_size=2 * MEDIA_LIMITS["file"][0])
    app[STANDIN_STATE] = state
    if extend is not None:
        extend(app)
    app.router.add_route("*", "/{tail:.*}", _handle)
    return app


async def start_standin(
    corp_id: str = "wwstandin0000000001",
    secret: str = "standin-secret",
    agent_id: int = 1000002,
    *,
    known_users: Iterable[str] | None = None,
    clock: Callable[[], float] = time.monotonic,
    business_clock: Callable[[], float] | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    extend: Callable[[web.Application], None] | None = None,
) -> tuple[web.AppRunner, str, StandinState]:
    """Serve the stand-in on loopback (port 0 = ephemeral); `await runner.cleanup()` when done."""
    app = create_standin_app(
        corp_id, secret, agent_id, known_users=known_users, clock=clock, business_clock=business_clock, extend=extend
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://{host}:{port}", app[STANDIN_STATE]
