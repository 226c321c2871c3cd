"""A RabbitMQ node of the platform's own: the embedded default's broker, and the tests' private nodes.

Why the embedded default runs its own node instead of the machine's broker:
RabbitMQ 3.10 reserves three file handles for every quorum queue, always
granted, out of the same budget as its client sockets (927 under Debian's
default limit of 1,024 open files). The platform's topology is 441 quorum
queues for eleven Missions and InterMire, 1,323 handles: declared on a stock
broker it leaves no handle for any new connection, and every AMQP client on
the machine then hangs in its handshake. A topology that fits a stock node
would have to give up a queue per handler and the delivery limits the
failure rules rest on (``kit/events.py``). A node of our own gets the open-file
limit it needs (raised to the hard limit, at most ``FILE_LIMIT``), its own
plugins (management and shovel: nothing to enable by hand), ports, data and
Erlang cookie under ``var/broker``, and never touches the machine's broker.

``Node`` runs RabbitMQ's own ``bin/rabbitmq-server`` script, not the wrapper on
the PATH, which switches to the ``rabbitmq`` user and cannot write a folder
owned by whoever runs ``up``. It stops only the node it started (by its pid
file), and its data survive a stop or a ``kill -9`` in ``mnesia/``.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import amqp
import requests

from kit.config import ConfigError

PLUGINS = ("rabbitmq_management", "rabbitmq_shovel", "rabbitmq_shovel_management")
# The embedded default's node: the shovels carry events between sites; the management plugins are left out, since
# their agent alone holds a clean shutdown for five seconds (1.1 s without them) and the topology is loaded from a
# definitions file at boot instead of through the HTTP API.
SHOVEL_ONLY = ("rabbitmq_shovel",)

# The Erlang VM of a small node on a shared machine: its schedulers sleep when they have nothing to do instead of
# spinning first (RabbitMQ's default busy-wait took over a second of CPU per boot from the sites starting beside
# it on two cores, and keeps taking it while the node idles).
ERL_ARGS = ("+sbwt", "none", "+sbwtdcpu", "none", "+sbwtdio", "none")

ADMIN = ("guest", "guest")
# Enough for the topology's reservations (3 a quorum queue), every site's connections and room to grow.
FILE_LIMIT = 65536
INSTALL_HELP = "install RabbitMQ ('apt-get install rabbitmq-server') or set PASSERELLE_RABBITMQ_BIN to its bin folder"


def rabbitmq_bin() -> Path:
    """RabbitMQ's own bin folder (``/usr/lib/rabbitmq/bin`` on Debian), or ``PASSERELLE_RABBITMQ_BIN``."""
    explicit = os.environ.get("PASSERELLE_RABBITMQ_BIN")
    if explicit:
        return Path(explicit)
    try:
        listing = subprocess.run(["dpkg", "-L", "rabbitmq-server"], capture_output=True, text=True, check=True).stdout
        for line in listing.splitlines():
            if line.endswith("/lib/rabbitmq/bin/rabbitmq-server"):
                return Path(line).parent
    except (OSError, subprocess.CalledProcessError):
        pass
    found = shutil.which("rabbitmq-server")
    if found:
        return Path(found).resolve().parent
    raise ConfigError(f"RabbitMQ is not installed (no rabbitmq-server): {INSTALL_HELP}")


def plugin_closure(plugins_dir: Path, wanted: tuple[str, ...]) -> list[Path]:
    """The folders of ``plugins_dir`` that ``rabbit`` and the ``wanted`` plugins need, by their ``.app`` files.

    Each application's ``applications`` (and included and optional ones), followed to the end; applications of
    Erlang/OTP itself are not in ``plugins_dir`` and need no folder here.
    """
    folders: dict[str, Path] = {}
    needs: dict[str, list[str]] = {}
    for folder in sorted(plugins_dir.iterdir()):
        apps = list((folder / "ebin").glob("*.app")) if folder.is_dir() else []
        if not apps:
            continue
        name = apps[0].stem
        text = apps[0].read_text(errors="replace")
        folders[name] = folder
        needs[name] = [
            dep
            for key in ("applications", "included_applications", "optional_applications")
            for listed in re.findall(r"\{" + key + r",\s*\[([^\]]*)\]", text)
            for dep in re.findall(r"[a-z][a-z0-9_]*", listed)
        ]
    found: set[str] = set()
    todo = ["rabbit", "rabbitmq_prelaunch", *wanted]
    while todo:
        app = todo.pop()
        if app in found or app not in folders:
            continue
        found.add(app)
        todo += needs[app]
    return sorted(folders[app] for app in found)


def _raise_file_limit(limit: int | None) -> None:
    """In the node's process before exec: its soft open-file limit up to ``limit`` (or the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if limit is None:
        return
    wanted = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
    if limit < soft:  # a lower limit on purpose: the tests' stock node
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
    elif wanted > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


class Node:
    """One RabbitMQ node in ``folder``: ``start``, ``wait_ready``, ``stop``; ``kill9``, ``freeze``, ``thaw``."""

    def __init__(
        self,
        folder: Path,
        name: str,
        port: int,
        management_port: int,
        dist_port: int,
        ctl_port: int,
        file_limit: int | None = FILE_LIMIT,
        management: bool = True,
        definitions: Path | None = None,
    ):
        self.dir = Path(folder)
        self.name = name
        self.host = "127.0.0.1"
        self.port, self.management_port, self.dist_port, self.ctl_port = port, management_port, dist_port, ctl_port
        self.management_url = f"http://127.0.0.1:{management_port}"
        self.file_limit = file_limit
        # Without the management plugins the node is asked over AMQP only (``wait_ready``, ``runtime.preflight``).
        self.management = management
        # A RabbitMQ definitions file imported at boot, skipped when its hash is the one imported last time.
        self.definitions = Path(definitions) if definitions else None
        self.kills = 0
        self._server: subprocess.Popen | None = None
        self._bin: Path | None = None

    @classmethod
    def for_broker(cls, broker: dict, folder: Path) -> Node:
        """The embedded node a registry's ``broker`` section describes: its ports, the management plugins only
        when ``management_ui`` asks for them, the topology from ``folder/definitions.json`` at boot."""
        management_port = urlsplit(broker["management_url"]).port or 15672
        port = int(broker["port"])
        return cls(
            folder,
            name=broker.get("node_name") or f"passerelle-{port}@localhost",
            port=port,
            management_port=management_port,
            dist_port=int(broker.get("dist_port") or port + 20000),
            ctl_port=int(broker.get("ctl_port") or port + 30000),
            management=bool(broker.get("management_ui")),
            definitions=Path(folder) / "definitions.json",
        )

    @property
    def plugins(self) -> tuple[str, ...]:
        return PLUGINS if self.management else SHOVEL_ONLY

    @property
    def bin(self) -> Path:
        if self._bin is None:
            self._bin = rabbitmq_bin()
        return self._bin

    def _write_config(self) -> None:
        for sub in ("home", "mnesia", "log"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        (self.dir / "enabled_plugins").write_text(f"[{','.join(self.plugins)}].\n")
        (self.dir / "rabbitmq.conf").unlink(missing_ok=True)  # the new-style file of earlier versions
        # Erlang terms, not the new-style rabbitmq.conf: the latter is translated by cuttlefish against every
        # plugin's schema at each boot, seconds of CPU on this machine.
        rabbit = [
            f"{{tcp_listeners, [{{{_erl(self.host)}, {self.port}}}]}}",
            "{loopback_users, []}",
            # The management figures are read by tests and operators, rarely: sampling less often spares the CPU.
            "{collect_statistics_interval, 10000}",
        ]
        if self.definitions is not None:
            rabbit.append(
                "{definitions, [{import_backend, rabbit_definitions_import_local_filesystem}, "
                f"{{local_path, {_erl(str(self.definitions))}}}, {{skip_if_unchanged, true}}]}}"
            )
        apps = [f"{{rabbit, [{', '.join(rabbit)}]}}"]
        if self.management:
            listener = f"[{{ip, {_erl(self.host)}}}, {{port, {self.management_port}}}]"
            apps.append(f"{{rabbitmq_management, [{{tcp_config, {listener}}}]}}")
        (self.dir / "rabbitmq.config").write_text("[\n " + ",\n ".join(apps) + "\n].\n")

    def write_definitions(self, text: str) -> bool:
        """Write ``text`` as the definitions file the node loads at boot; False when it holds that text already.

        The file is its own checksum: the same registry and code render the same text, and a node loading an
        unchanged file at boot skips it. It holds password hashes and the shovels' URIs: readable by its owner
        only, and replaced whole, so that a node booting now reads the old file or the new one.
        """
        path = self.definitions
        if path.exists() and path.read_text(encoding="utf-8") == text:
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".new")
        tmp.write_text(text, encoding="utf-8")
        tmp.chmod(0o600)
        tmp.replace(path)
        return True

    # -- environment ------------------------------------------------------
    def env(self) -> dict:
        d = self.dir
        return dict(
            os.environ,
            HOME=str(d / "home"),
            RABBITMQ_NODENAME=self.name,
            RABBITMQ_CONFIG_FILE=str(d / "rabbitmq.config"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(d / "enabled_plugins"),
            RABBITMQ_MNESIA_BASE=str(d / "mnesia"),
            RABBITMQ_LOG_BASE=str(d / "log"),
            RABBITMQ_PID_FILE=str(d / "rmq.pid"),
            ERL_EPMD_ADDRESS="127.0.0.1",
            RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_CTL_DIST_PORT_MIN=str(self.ctl_port),
            RABBITMQ_CTL_DIST_PORT_MAX=str(self.ctl_port),
        )

    def server_env(self, plugins: Path | None = None) -> dict:
        """``env`` for the node itself: with ``ERL_ARGS``, its Erlang distribution started by the VM, and
        ``plugins`` as its plugins folder when given (``_plugins_dir``).

        Started from the command line (its name, its port, loopback only), the distribution is up before
        RabbitMQ's prelaunch looks: the prelaunch then skips its own set-up, whose first step boots a whole
        second Erlang VM just to make sure the port mapper runs (``rabbit_nodes_common:ensure_epmd``), about a
        second on this machine, in series with the rest of the boot. The VM itself starts the port mapper
        when none runs, and refuses a name already taken, as the prelaunch's checks did.
        """
        dist = str(self.dist_port)
        args = [
            *ERL_ARGS,
            "-sname",
            self.name,
            "-kernel",
            "inet_dist_listen_min",
            dist,
            "-kernel",
            "inet_dist_listen_max",
            dist,
            "-kernel",
            "inet_dist_use_interface",
            "{127,0,0,1}",
        ]
        env = dict(self.env(), RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=" ".join(args))
        if plugins is not None:
            env["RABBITMQ_PLUGINS_DIR"] = str(plugins)
        return env

    def _plugins_dir(self) -> Path | None:
        """``plugins`` under the node's folder: links to the RabbitMQ applications it runs, and to no other.

        RabbitMQ's prelaunch reads the configuration schema of every plugin it finds (some seventy in Debian's
        package, 23 of them used here) and turns each into settings, at every boot. Made again at each launch,
        so that a RabbitMQ upgraded since finds its own folders; None (RabbitMQ's own folder is used) when the
        installation has no plugins folder beside its scripts.
        """
        installed = (self.bin / "rabbitmq-server").resolve().parent.parent / "plugins"
        if not installed.is_dir():
            return None
        mine = self.dir / "plugins"
        shutil.rmtree(mine, ignore_errors=True)
        mine.mkdir(parents=True)
        for folder in plugin_closure(installed, self.plugins):
            (mine / folder.name).symlink_to(folder)
        return mine

    def platform_env(self) -> dict:
        """What ``config/missions.yaml`` and ``tests.harness`` read to use this node as an external broker."""
        return {
            "PASSERELLE_BROKER_PORT": str(self.port),
            "PASSERELLE_BROKER_MANAGEMENT_URL": self.management_url,
            "PASSERELLE_BROKER_EMBEDDED": "false",
        }

    @property
    def pid(self) -> int | None:
        try:
            return int((self.dir / "rmq.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def file_limit_now(self) -> int | None:
        """The running node's soft open-file limit, as the kernel applies it (``/proc/<pid>/limits``)."""
        try:
            for line in Path(f"/proc/{self.pid}/limits").read_text().splitlines():
                if line.startswith("Max open files"):
                    return int(line.split()[3])
        except (OSError, ValueError, IndexError):
            pass
        return None

    def running(self) -> bool:
        """Whether the node this folder's pid file names is alive."""
        pid = self.pid
        return bool(pid) and alive(pid)

    # -- lifecycle --------------------------------------------------------
    def launch(self) -> Node:
        """Start the node in the background and return at once (``wait_ready`` waits for it)."""
        self._write_config()
        (self.dir / "rmq.pid").unlink(missing_ok=True)
        out = open(self.dir / "server.out", "ab")
        limit = self.file_limit
        self._server = subprocess.Popen(
            [str(self.bin / "rabbitmq-server")],
            env=self.server_env(self._plugins_dir()),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=self.dir,  # where the VM writes its crash dumps
            preexec_fn=lambda: _raise_file_limit(limit),
        )
        out.close()
        return self

    def start(self, timeout: float = 90.0) -> Node:
        return self.launch().wait_ready(timeout)

    def wait_ready(self, timeout: float = 90.0) -> Node:
        """Until the node takes an AMQP handshake and, with the management plugins, its API answers (it starts
        last). A node that loads definitions at boot opens its port only once they are imported."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._server is not None and self._server.poll() is not None:
                raise ConfigError(f"RabbitMQ node {self.name} exited at start: {self.tail(600)!r}")
            if self.answers() and self.handshakes():
                if not self.management:
                    return self
                try:
                    if requests.get(self.management_url + "/api/overview", auth=ADMIN, timeout=5).ok:
                        return self
                except requests.RequestException:
                    pass
            time.sleep(0.1)
        raise ConfigError(f"RabbitMQ node {self.name} not ready after {timeout:.0f}s; see {self.dir / 'log'}")

    def handshakes(self, vhost: str = "/") -> bool:
        """Whether the admin user completes an AMQP handshake on ``vhost`` within five seconds."""
        conn = amqp.Connection(
            f"{self.host}:{self.port}",
            userid=ADMIN[0],
            password=ADMIN[1],
            virtual_host=vhost,
            connect_timeout=5,
            read_timeout=5,
            write_timeout=5,
        )
        try:
            conn.connect()
            return True
        except (OSError, amqp.exceptions.AMQPError):
            return False
        finally:
            try:
                conn.collect()
            except Exception:  # a half-open connection has nothing worth reporting on close
                pass

    def ctl(self, *args: str, timeout: float = 120) -> str:
        """``rabbitmqctl`` against this node (it boots an Erlang VM of its own: about two seconds)."""
        done = subprocess.run(
            [str(self.bin / "rabbitmqctl"), "-n", self.name, *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            said = (done.stderr or done.stdout)[-400:]
            raise ConfigError(f"rabbitmqctl {' '.join(args)} failed on {self.name}: {said}")
        return done.stdout

    def detach(self) -> None:
        """Forget the node's process without stopping it (``up`` leaves it running for ``down`` to stop).

        Dropped now rather than when the interpreter is torn down, where ``Popen``'s finaliser meets an
        eventlet hub that is already gone.
        """
        self._server = None

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def kill9(self) -> None:
        """A power cut: SIGKILL to the Erlang VM, nothing flushed."""
        pid = self.pid
        if pid:
            _signal(pid, signal.SIGKILL)
        self._reap()
        self.kills += 1

    def restart(self, graceful: bool = True) -> None:
        """Stop (gracefully, or ``kill -9``) and start again on the same data."""
        if graceful:
            self.stop(keep_data=True)
        else:
            self.kill9()
        self.start()

    def freeze(self) -> None:
        _signal(self.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        _signal(self.pid, signal.SIGCONT)

    def stop(self, keep_data: bool = False, timeout: float = 30.0) -> None:
        """Stop this node only (by its pid): SIGTERM, which RabbitMQ takes as a clean shutdown, then SIGKILL.

        ``rabbitmqctl stop`` would do the same after booting an Erlang VM of its own (about two seconds).
        A node launched by this process that has not yet written its pid file (an ``up`` that fails in its first
        seconds) is stopped through the processes it launched: ``rabbitmq-server``'s shell and the Erlang VM.
        """
        pid = self.pid
        deadline = time.monotonic() + timeout
        if pid and alive(pid):
            _signal(pid, signal.SIGCONT)
            _signal(pid, signal.SIGTERM)
            while alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if alive(pid):
                _signal(pid, signal.SIGKILL)
        elif self._server is not None and self._server.poll() is None:
            self._stop_launched(self._server, deadline)
        self._reap()
        # The node's own epmd registration goes with it; its port mapper daemon is shared and stays.
        (self.dir / "rmq.pid").unlink(missing_ok=True)
        if not keep_data:
            shutil.rmtree(self.dir / "mnesia", ignore_errors=True)

    # -- internals ---------------------------------------------------------
    def tail(self, chars: int = 2000) -> str:
        try:
            return (self.dir / "server.out").read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    @staticmethod
    def _stop_launched(server: subprocess.Popen, deadline: float) -> None:
        """Stop a node ``launch`` started whose pid file is not written yet.

        ``server`` is ``rabbitmq-server``'s shell; its child is the Erlang VM. A VM that has not written its pid
        file has not opened its data yet, and that early it does not act on SIGTERM (measured: still running
        20 s after one sent 0.3 s into its boot), so it is killed outright; the shell then ends by itself.
        Signalled one by one rather than as a process group: an Erlang port mapper (epmd) the VM started for
        the machine sits in that group, and other nodes need it.
        """
        while server.poll() is None:
            for pid in _children(server.pid):  # none yet in the shell's first milliseconds: looked at again
                _signal(pid, signal.SIGKILL)
            if time.monotonic() > deadline:
                _signal(server.pid, signal.SIGKILL)
            time.sleep(0.02)

    def _reap(self) -> None:
        if self._server is not None:
            try:
                self._server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
            self._server = None


def _erl(text: str) -> str:
    """An Erlang string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, ours or not, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie child of ours counts as gone
        waited, _ = os.waitpid(pid, os.WNOHANG)
        return waited == 0
    except ChildProcessError:
        pass
    # Someone else's zombie has ended too: it waits for its parent, or for init once orphaned (the sites are,
    # when their launcher has exited), and an init that reaps once a second made every stop look a second longer.
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:  # gone between the two looks
        return False
    except (OSError, IndexError):
        return True


def _signal(pid: int | None, sig: int) -> None:
    if pid:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _children(pid: int) -> list[int]:
    """The processes ``pid`` started, as the kernel lists them (``/proc/<pid>/task/*/children``)."""
    found: list[int] = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in children.read_text().split()]
        except (OSError, ValueError):
            pass
    return found
