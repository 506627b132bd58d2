"""The peer: what a district's IT contractor would write in an afternoon.

wechatpy + Flask under gunicorn with one sync worker: verify, decrypt, one INSERT and one
COMMIT per message, an encrypted passive reply. Duplicates (WeCom's retries) are ignored by
a unique MsgId. Configured by environment (the bench sets it):

    PEER_DATABASE  a SQLite file path (WAL), or a postgresql:// URL (psycopg)
    PEER_TOKEN, PEER_AES_KEY, PEER_CORP_ID

    gunicorn -w 1 -k sync -b 127.0.0.1:PORT tests.bench.peers.naive_peer:app
"""

from __future__ import annotations

import os
import sqlite3
import time
from typing import Any

from flask import Flask, request
from wechatpy.enterprise import create_reply, parse_message
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException

DATABASE = os.environ["PEER_DATABASE"]
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS peer_log (msg_id TEXT PRIMARY KEY, userid TEXT NOT NULL,"
    " content TEXT NOT NULL, received_at BIGINT NOT NULL)"
)

crypto = WeChatCrypto(os.environ["PEER_TOKEN"], os.environ["PEER_AES_KEY"], os.environ["PEER_CORP_ID"])
app = Flask(__name__)


def connect() -> tuple[Any, str]:
    """A connection and its INSERT; made once per worker process."""
    if DATABASE.startswith("postgresql"):
        import psycopg

        connection: Any = psycopg.connect(DATABASE)
        insert = "INSERT INTO peer_log VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING"
    else:
        connection = sqlite3.connect(DATABASE)
        connection.execute("PRAGMA journal_mode=WAL")
        insert = "INSERT OR IGNORE INTO peer_log VALUES (?, ?, ?, ?)"
    connection.execute(SCHEMA)
    connection.commit()
    return connection, insert


db, INSERT = connect()


@app.post("/wecom/callback")
def callback() -> Any:
    args = request.args
    try:
        xml = crypto.decrypt_message(
            request.data, args["msg_signature"], args["timestamp"], args["nonce"]
        )
    except (InvalidSignatureException, KeyError):
        return "", 403
    message = parse_message(xml)
    db.execute(INSERT, (str(message.id), message.source, message.content, int(time.time())))
    db.commit()
    reply = create_reply(f"✅ 已记录今天的工作日志，共 {len(message.content)} 字。", message)
    return crypto.encrypt_message(reply.render(), args["nonce"], args["timestamp"])


@app.get("/healthz")
def healthz() -> Any:
    return {"ok": True}
