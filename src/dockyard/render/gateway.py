"""The stack's optional gateway: a tiny TCP proxy for nodes without IPVS (pure).

Swarm publishes ports through its routing mesh, which needs the kernel's IPVS. Where
that is missing (some VMs and sandboxes), `routing = "gateway"` makes dockyard put
one small proxy per served app in front of it instead: it publishes the port in host
mode, resolves `tasks.<app>` (every running, healthy task) for each new connection
and tries them in turn, so a task that is stopping is skipped, not failed. The
gateway runs the app's own image (its Python) and keeps its image across deploys,
so an app update never restarts it.
"""

from __future__ import annotations

from typing import Any

PROXY = """\
import asyncio, os, random, socket
BACKEND, PORT = os.environ["GATEWAY_BACKEND"], int(os.environ["GATEWAY_PORT"])
async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()
async def connect():
    loop = asyncio.get_running_loop()
    for _ in range(100):
        try:
            infos = await loop.getaddrinfo(BACKEND, PORT, type=socket.SOCK_STREAM)
        except OSError:
            infos = []
        random.shuffle(infos)
        for *_, addr in infos:
            try:
                return await asyncio.wait_for(asyncio.open_connection(addr[0], PORT), 2)
            except (OSError, asyncio.TimeoutError):
                continue
        await asyncio.sleep(0.1)
    raise OSError("no backend answers")
async def handle(client_reader, client_writer):
    try:
        reader, writer = await connect()
    except OSError:
        client_writer.close()
        return
    await asyncio.gather(pipe(client_reader, writer), pipe(reader, client_writer))
async def main():
    server = await asyncio.start_server(handle, "0.0.0.0", PORT)
    async with server:
        await server.serve_forever()
asyncio.run(main())
"""


def gateway_service(app: str, image: str, published: int, port: int) -> dict[str, Any]:
    return {
        "image": image,
        "command": ["python", "-c", PROXY],
        "environment": {"GATEWAY_BACKEND": f"tasks.{app}", "GATEWAY_PORT": str(port)},
        "ports": [{"target": port, "published": published, "protocol": "tcp", "mode": "host"}],
        "healthcheck": {"disable": True},
        "deploy": {"replicas": 1, "restart_policy": {"condition": "any", "delay": "1s"}},
    }
