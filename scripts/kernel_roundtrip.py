"""Runs one TypeScript cell on a kernel of a running Jupyter server, over the server's websocket.

Used by test/start.test.ts to check that the server `npm start` opens really runs the course's
kernel: usage `kernel_roundtrip.py URL TOKEN KERNEL_ID CODE`; prints one JSON object with the
cell's result, its output text and its error, and exits non-zero on an error or no output.
"""
import asyncio
import json
import sys
import uuid

from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect


async def main(url: str, token: str, kernel_id: str, code: str) -> int:
    ws_url = url.replace("http", "ws", 1) + f"/api/kernels/{kernel_id}/channels"
    conn = await websocket_connect(HTTPRequest(ws_url, headers={"Authorization": f"token {token}"}))
    msg_id = uuid.uuid4().hex
    header = {"msg_id": msg_id, "msg_type": "execute_request", "username": "test", "session": uuid.uuid4().hex, "version": "5.3"}
    content = {"code": code, "silent": False, "store_history": False, "user_expressions": {}, "allow_stdin": False}
    await conn.write_message(json.dumps({"header": header, "parent_header": {}, "metadata": {}, "content": content, "channel": "shell", "buffers": []}))
    out = {"result": None, "error": None, "stream": ""}
    while True:
        raw = await asyncio.wait_for(conn.read_message(), timeout=60)
        if raw is None:
            out["error"] = "websocket closed"
            break
        msg = json.loads(raw)
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = msg["header"]["msg_type"]
        if kind == "execute_result":
            out["result"] = msg["content"]["data"].get("text/plain")
        elif kind == "stream":
            out["stream"] += msg["content"]["text"]
        elif kind == "error":
            out["error"] = f'{msg["content"]["ename"]}: {msg["content"]["evalue"]}'
        elif kind == "status" and msg["content"]["execution_state"] == "idle":
            break
    conn.close()
    print(json.dumps(out))
    # tslab shows a cell's last value as output text (a stream), other kernels as an execute_result.
    return 0 if out["error"] is None and (out["result"] is not None or out["stream"]) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:5])))
