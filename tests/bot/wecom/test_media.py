"""media/upload and image/file messages: the client against the stand-in, which keeps
WeCom's limits (doc 90253) and what it received."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.testing.standin import (
    ERR_EMPTY_MEDIA,
    ERR_INVALID_FILE_SIZE,
    ERR_INVALID_FILE_TYPE,
    ERR_INVALID_IMAGE_SIZE,
    ERR_INVALID_MEDIA_ID,
    ERR_INVALID_MEDIA_TYPE,
    ERR_MEDIA_TOO_LARGE,
    MEDIA_TTL,
    StandinState,
    media_for,
    start_standin,
)
from bot.wecom.api import WeComClient, WeComError
from tests.bot.wecom.monotonic import FakeMonotonic

CORP, SECRET, AGENT = "wwmediatest00000001", "media-secret", 1000011
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def wecom() -> AsyncIterator[tuple[WeComClient, StandinState, FakeMonotonic, str, aiohttp.ClientSession]]:
    clock = FakeMonotonic()
    runner, base, state = await start_standin(CORP, SECRET, AGENT, known_users={"u1", "u2"}, clock=clock)
    async with aiohttp.ClientSession() as http:
        client = WeComClient(http, base, CORP, SECRET, AGENT, sleep=no_sleep, monotonic=clock)
        yield client, state, clock, base, http
    await runner.cleanup()
    assert state.unexpected == []


async def test_an_uploaded_image_and_file_arrive_with_their_names(wecom):
    client, state, *_ = wecom
    image = await client.upload_media("image", "城关镇-排名.png", PNG)
    await client.send_media(["u1"], "image", image)
    document = await client.upload_media("file", "2026-城关镇-吴昊-chengguan_wuhao.pdf", b"%PDF-1.4 archive")
    await client.send_media(["u1", "u2"], "file", document)
    assert [(m.type, m.filename, m.data) for m in media_for(state, "u1")] == [
        ("image", "城关镇-排名.png", PNG),
        ("file", "2026-城关镇-吴昊-chengguan_wuhao.pdf", b"%PDF-1.4 archive"),
    ]
    assert [m.type for m in media_for(state, "u2")] == ["file"]


@pytest.mark.parametrize(
    ("kind", "data", "errcode"),
    [
        ("image", b"GIF89a" + b"\0" * 50, ERR_INVALID_FILE_TYPE),  # images are JPG or PNG only
        ("image", PNG + b"\0" * (10 * 2**20), ERR_INVALID_IMAGE_SIZE),  # over 10 MB
        ("file", b"x" * (20 * 2**20 + 1), ERR_MEDIA_TOO_LARGE),  # over 20 MB
        ("file", b"12345", ERR_INVALID_FILE_SIZE),  # every file must be more than 5 bytes
        ("sticker", PNG, ERR_INVALID_MEDIA_TYPE),
    ],
)
async def test_uploads_outside_wecoms_limits_are_refused(wecom, kind, data, errcode):
    client, state, *_ = wecom
    with pytest.raises(WeComError) as refused:
        await client.upload_media(kind, "x.bin", data)
    assert refused.value.errcode == errcode
    assert state.uploads == {}


async def test_a_body_without_the_media_part_is_refused(wecom):
    client, _, _, base, http = wecom
    token = await client._access_token()
    form = aiohttp.FormData()
    form.add_field("file", PNG, filename="a.png")
    async with http.post(f"{base}/cgi-bin/media/upload", params={"access_token": token, "type": "image"}, data=form) as resp:
        assert (await resp.json())["errcode"] == ERR_EMPTY_MEDIA


async def test_a_media_id_is_good_for_three_days_and_for_its_own_type(wecom):
    client, _, clock, *_ = wecom
    image = await client.upload_media("image", "a.png", PNG)
    with pytest.raises(WeComError) as wrong_type:
        await client.send_media(["u1"], "file", image)
    assert wrong_type.value.errcode == ERR_INVALID_MEDIA_ID
    clock.t += MEDIA_TTL + 1
    with pytest.raises(WeComError) as expired:
        await client.send_media(["u1"], "image", image)
    assert expired.value.errcode == ERR_INVALID_MEDIA_ID
