"""Credentials without blocking the event loop.

* An exec credential plugin runs as an asyncio subprocess, bounded by the plugin's
  ``timeout`` (then killed, with what it started when it has its own session);
  concurrent requests share one run; the credential is cached and parsed exactly
  as the sync :class:`~..config.exec_plugin.ExecPlugin` does (the same object:
  a credential obtained by either is the other's too).
* A token file (in-cluster service account, kubeconfig ``tokenFile``) is re-read
  in a worker thread (``asyncio.to_thread``), only when its stat changed.
* Everything else (a fixed token, basic auth, client certificates) involves no
  I/O and is read directly.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import weakref
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # imported when first needed: whoever has a Config has imported them already,
    # and ``import kubeclient.aio`` stays cheap
    from ..config import Config
    from ..config.auth import TokenFile
    from ..config.exec_plugin import ExecPlugin, _ExecCredential

__all__ = ["credentials", "refresh_after_unauthorized"]

Credentials = tuple[Mapping[str, str], tuple[str, str] | None]

_GRACE_SECONDS = 2.0
# one lock per plugin (and loop): concurrent requests wait for one run
_runs: weakref.WeakKeyDictionary[ExecPlugin, asyncio.Lock] = weakref.WeakKeyDictionary()


async def credentials(config: Config) -> Credentials:
    """The config's credentials for one request (``Config.credentials``)."""
    from ..config.auth import TokenFile
    from ..config.exec_plugin import ExecPlugin

    auth = config.auth
    if isinstance(auth, ExecPlugin) and not (
        config.client_cert_file and config.client_key_file
    ):
        credential = await _obtain(auth, lambda cached: not cached.expired())
        authorization = auth._authorization_of(credential)
        headers = {"Authorization": authorization} if authorization else {}
        return headers, auth._client_cert_of(credential)
    if isinstance(auth, TokenFile) and _stale(auth):
        return await asyncio.to_thread(config.credentials)
    return config.credentials()


async def refresh_after_unauthorized(config: Config) -> bool:
    """After a 401: True when new credentials differ from the ones sent."""
    from ..config.exec_plugin import ExecPlugin

    auth = config.auth
    if isinstance(auth, ExecPlugin):
        before = auth._credential
        after = await _obtain(auth, lambda cached: cached is not before)
        return before is None or before.secrets() != after.secrets()
    if auth is None:
        return False
    return await asyncio.to_thread(config.refresh_after_unauthorized)


def _stale(auth: TokenFile) -> bool:
    """The token file changed since it was read (a stat: cheap, but still a
    syscall; reading and parsing it goes to a thread)."""
    from ..config.common import file_stamp

    stamp = file_stamp(auth.path)
    return stamp is None or stamp != auth._stamp


async def _obtain(
    plugin: ExecPlugin, reusable: Callable[[_ExecCredential], bool]
) -> _ExecCredential:
    """The cached credential if ``reusable``, else the result of one run."""
    cached = plugin._credential
    if cached is not None and reusable(cached):
        return cached
    lock = _runs.get(plugin)
    if lock is None:
        lock = _runs[plugin] = asyncio.Lock()
    async with lock:
        cached = plugin._credential  # another task's run may have just finished
        if cached is not None and reusable(cached):
            return cached
        credential = await _run(plugin)
        with plugin._lock:
            plugin._credential = credential
        return credential


async def _run(plugin: ExecPlugin) -> _ExecCredential:
    """One run of the plugin (``ExecPlugin._run``, as an asyncio subprocess)."""
    from ..config.exec_plugin import _EXEC_INFO_ENV, _pass_through

    interactive = plugin._interactive()
    env = {
        **os.environ,
        **plugin._env,
        _EXEC_INFO_ENV: plugin._exec_info(interactive),
    }
    own_session = not interactive and hasattr(os, "killpg")
    try:
        process = await asyncio.create_subprocess_exec(
            plugin.command,
            *plugin._args,
            env=env,
            stdin=None if interactive else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=None if interactive else subprocess.PIPE,
            start_new_session=own_session,
        )
    except FileNotFoundError:
        raise plugin._failure(f"executable {plugin.command} not found") from None
    except OSError as error:
        problem = f"executable {plugin.command} could not be run: {error.strerror}"
        raise plugin._failure(problem) from None
    except ValueError:
        problem = "the command, its args or its env cannot be passed to a process"
        raise plugin._failure(problem) from None
    try:
        stdout, stderr = await asyncio.wait_for(
            process.communicate(), timeout=plugin.timeout
        )
    except asyncio.TimeoutError:
        await _kill(process, own_session)
        raise plugin._failure(
            f"executable {plugin.command} did not finish within the timeout of "
            f"{plugin.timeout:g} s and was killed"
        ) from None
    except BaseException:  # cancelled: the plugin goes too
        await _kill(process, own_session)
        raise
    _pass_through(stderr)
    if process.returncode != 0:
        problem = f"executable {plugin.command} failed with exit code "
        raise plugin._failure(f"{problem}{process.returncode}")
    credential = plugin._parse_output(stdout)
    if credential.expiry is not None and credential.expired():
        expiry = credential.expiry.isoformat().replace("+00:00", "Z")
        raise plugin._failure(
            f"executable {plugin.command} returned a credential that expired at "
            f"{expiry}"
        )
    return credential


async def _kill(process: asyncio.subprocess.Process, own_session: bool) -> None:
    try:
        if own_session:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    except OSError:
        pass
    try:
        await asyncio.wait_for(process.wait(), timeout=_GRACE_SECONDS)
    except asyncio.TimeoutError:
        pass
