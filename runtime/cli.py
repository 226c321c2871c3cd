"""``passerelle``: the platform's few verbs.

    up            the broker (its own node by default), migrations, every site and the gateway, in the background
    down          stop what ``up`` started
    status        what runs, and the gateway's view of every site
    seed          realistic demo data in every Mission (over RPC)
    migrate       build or upgrade every service database (Alembic)
    broker-setup  declare vhosts, users, permissions, queues and shovels
    run-site      run one site in the foreground (what ``up`` starts per site)
    run-gateway   run the gateway in the foreground
    import-forem  import a feed of Le Forem's public job offers into a Mission
    import-files  bring a Mission's existing files in (people and their path, employers; docs/import-files.md)
    agency-replay send an agency its events again from a date (deduplicated by event id)
    token         mint a development bearer token for the gateway
    rotate-sector-key  re-derive every Mission's pseudonyms under the sector key now deployed
    retention     apply each site's retention schedule (closed files erased, old audit and messages purged)

The registry is ``config/missions.yaml`` unless ``--registry`` or
``PASSERELLE_REGISTRY`` names another.
"""

from __future__ import annotations

from runtime import green  # noqa: F401  (first: eventlet patches the standard library)

# isort: split
import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from kit import registry as registry_module
from kit.config import ConfigError
from runtime import processes
from runtime.rabbit_node import alive

WEB = "web"  # the front office's process name in var/run and var/log

START_BROKER_HELP = (
    "start that RabbitMQ ('rabbitmq-server -detached') with the plugins the platform needs "
    "('rabbitmq-plugins enable rabbitmq_management rabbitmq_shovel rabbitmq_shovel_management'), "
    "or let 'up' run a node of its own (PASSERELLE_BROKER_EMBEDDED=true; Debian/Ubuntu: "
    "'apt-get install rabbitmq-server')"
)


def _registry(args):
    return registry_module.load(args.registry)


def _run_dir(reg) -> Path:
    path = reg.data_dir / "run"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _log_dir(reg) -> Path:
    path = reg.data_dir / "log"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _embedded_node(reg):
    """The registry's own RabbitMQ node (``runtime/rabbit_node.py``), or None when the broker is someone else's."""
    if not reg.broker.get("embedded"):
        return None
    from runtime.rabbit_node import Node

    return Node.for_broker(reg.broker, reg.data_dir / "broker")


def _check_broker(reg) -> None:
    from runtime.preflight import check_broker

    check_broker(reg, START_BROKER_HELP)


def _check_node(reg, node) -> None:
    from runtime.preflight import check_node

    check_node(reg, node.file_limit_now())


def cmd_migrate(args) -> int:
    from kit.migrations import upgrade

    reg = _registry(args)
    sites = [reg.site(c) for c in args.sites.split(",")] if args.sites else reg.sites
    for site in sites:
        for service, path in site.services.items():
            upgrade(path.split(".", 1)[0], site.database_url(service))
    print(f"migrated {sum(len(s.services) for s in sites)} databases of {len(sites)} sites")
    return 0


def _write_node_definitions(reg, node) -> bool:
    """The embedded node's definitions file, rewritten when the registry's topology changed; True when it did."""
    from kit.definitions import node_definitions

    return node.write_definitions(node_definitions(reg))


def cmd_broker_setup(args) -> int:
    from kit.definitions import declare

    reg = _registry(args)
    node = _embedded_node(reg)
    if node is not None:
        changed = _write_node_definitions(reg, node)
        if node.running():
            if changed:
                node.ctl("import_definitions", str(node.definitions))
            print(f"the embedded node holds the topology{' (imported again)' if changed else ''}")
        else:
            state = "wrote" if changed else "up to date:"
            print(f"{state} {node.definitions}: the embedded node loads it when 'up' starts it")
        return 0
    _check_broker(reg)
    vhosts = declare(reg)
    print(f"declared {len(vhosts)} vhosts: {', '.join(vhosts)}")
    return 0


def _running(reg, name: str) -> bool:
    """Whether ``var/run/<name>.pid`` names a live process (a stale pid file is removed)."""
    pidfile = _run_dir(reg) / f"{name}.pid"
    if not pidfile.exists():
        return False
    try:
        os.kill(int(pidfile.read_text()), 0)
        return True
    except (ValueError, ProcessLookupError):
        pidfile.unlink()
        return False


class _Launcher:
    """``runtime.launcher`` for the named processes not already running, forked now and told to fork them later.

    Forked from this process while it holds no socket or database connection (its children would share
    them): it starts from the interpreter and modules ``up`` already has, preloads the sites' code while
    ``up`` writes the topology and migrates, and forks the sites once ``go`` says the databases are ready.
    """

    def __init__(self, reg, names: list[str]):
        self.names = [name for name in names if not _running(reg, name)]
        self.log_path = _log_dir(reg) / "launcher.log"
        self.pid = self.go_fd = None
        if self.names:
            from runtime.launcher import run_forked

            read_fd, self.go_fd = os.pipe()
            sys.stdout.flush()  # nothing buffered here may be written again by the launcher
            sys.stderr.flush()
            self.pid = os.fork()
            if self.pid == 0:
                os.close(self.go_fd)
                run_forked(reg, self.names, read_fd, self.log_path)  # never returns
            os.close(read_fd)

    def _wait(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while True:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                return -signal.SIGKILL
            time.sleep(0.02)

    def go(self, timeout: float = 120) -> None:
        """Fork the sites; returns once every pid is recorded."""
        if self.pid is None:
            return
        os.write(self.go_fd, b"go\n")
        os.close(self.go_fd)
        code = self._wait(timeout)
        self.pid = None
        if code != 0:
            raise ConfigError(f"the launcher could not start the sites (exit {code}); see {self.log_path}")

    def cancel(self) -> None:
        """No go: the launcher exits without forking anything."""
        if self.pid is not None:
            os.close(self.go_fd)
            self._wait(30)
            self.pid = None


def _web_url(reg) -> str | None:
    web = reg.platform.get("web")
    return f"http://{web['host']}:{web['port']}" if web else None


def _start_web(reg) -> str | None:
    """The front office in an interpreter of its own (a threaded server: not forked from the eventlet launcher).

    Its pid goes beside the sites' in ``var/run``, so ``down``, ``status`` and a failed ``up`` treat it alike.
    """
    web = reg.platform.get("web")
    if not web or _running(reg, WEB):
        return None
    log = open(_log_dir(reg) / f"{WEB}.log", "ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "web", "--registry", str(reg.path), "--host", web["host"], "--port", str(web["port"])],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    (_run_dir(reg) / f"{WEB}.pid").write_text(str(proc.pid))
    return WEB


def _gateway_url(reg) -> str:
    gw = reg.platform["gateway"]
    return f"http://{gw['host']}:{gw['port']}"


def _check_secrets(reg) -> None:
    """Every secret ``up`` would start processes without, named in one line before anything starts.

    The processes check their own again at start (``runtime.site_runner.check_secrets``,
    ``gateway.app.check_settings``);
    this makes ``up`` fail at once instead of waiting for sites that stopped.
    """
    from gateway.app import check_settings
    from kit.pseudonym import sector_key

    for site in reg.sites:
        for service in site.services:
            site.amqp_uri(service)
    if reg.missions:
        sector_key()  # every Mission runs beneficiary, which pseudonymises at intake
    check_settings(reg)


def cmd_up(args) -> int:
    """Everything in the background, or nothing: a failed ``up`` stops what it started before it says why.

    With the embedded node, the node's boot (seconds of Erlang VM and RabbitMQ start) overlaps everything else:
    the launcher imports the sites' code (CPU) while this process writes the topology and migrates (the disk),
    and the sites are forked as soon as the databases are ready, each waiting for the node's port in its own
    preflight. The node loads the topology from its definitions file at boot, before it opens its port, so a
    site that gets in finds its vhost. Only a topology changed since the node's last boot makes the sites wait
    for the node, then for its import.
    """
    from kit.definitions import declare

    reg = _registry(args)
    started = time.monotonic()
    node = _embedded_node(reg)
    node_started = False
    names = [f"site-{site.code}" for site in reg.sites] + ["gateway"]
    launcher, web, marks = None, None, []
    try:
        if node is not None and not node.running() and node.definitions.exists():
            node.launch()  # a warm start: the node boots on the topology it had, first thing
            node_started = True
        _check_secrets(reg)
        changed = False
        if node is None:
            _check_broker(reg)  # someone else's broker: looked at before anything is changed
        else:
            # Rendering the topology imports every service class: done before the fork, the launcher inherits
            # them instead of importing them a second time (CPU both would spend while the node boots).
            changed = _write_node_definitions(reg, node)
        launcher = _Launcher(reg, names)  # forked while this process holds no socket or connection
        if node is not None:
            if not node.running() and not node_started:
                node.launch()  # the first start: it loads the topology just written
                node_started, changed = True, False
        web = _start_web(reg)
        cmd_migrate(argparse.Namespace(registry=args.registry, sites=None))
        marks.append(f"databases at {time.monotonic() - started:.1f}s")
        if node is not None:
            if not changed:
                launcher.go()
                marks.append(f"sites forked at {time.monotonic() - started:.1f}s")
            node.wait_ready()
            _check_node(reg, node)
            if changed:
                node.ctl("import_definitions", str(node.definitions))
                print("imported the changed topology into the node")
            node.detach()
            marks.append(f"broker node ready at {time.monotonic() - started:.1f}s")
        else:
            # Someone else's broker: declared after the migrations, not beside them (a migration holds this
            # process's only thread for seconds, and a definitions upload stalled that long was dropped by
            # the management API under load).
            vhosts = declare(reg)
            print(f"declared {len(vhosts)} vhosts")
        if launcher.pid is not None:
            launcher.go()
            marks.append(f"sites forked at {time.monotonic() - started:.1f}s")
        health = _wait_ready(reg, args.timeout)
        _print_where(reg, health, node)
        if not health or not health.get("ready"):
            raise ConfigError(f"not every site is ready after {args.timeout:.0f}s; see {_log_dir(reg)}")
        if not _web_answers(reg, 30):
            raise ConfigError(f"the front office does not answer at {_web_url(reg)}; see {_log_dir(reg) / WEB}.log")
    except BaseException:
        if launcher is not None:
            launcher.cancel()
        mine = (launcher.names if launcher else []) + ([web] if web else [])
        stopped = _stop_processes(reg, mine, node=node if node_started else None) if mine or node_started else 0
        if stopped or node_started:
            print(
                f"up failed: stopped the {stopped} processes{' and the broker node' if node_started else ''} "
                "it had started",
                file=sys.stderr,
            )
        raise
    print(
        f"all {len(reg.sites)} sites ready in {time.monotonic() - started:.1f}s ({', '.join(marks)}); "
        "'passerelle down' stops them"
    )
    if args.seed:
        return cmd_seed(args)
    return 0


def _site_ready_urls(reg) -> dict[str, str]:
    host = reg.platform["observability_host"]
    host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return {site.code: f"http://{host}:{site.observability_port}/health/ready" for site in reg.sites}


def _wait_ready(reg, timeout: float) -> dict | None:
    deadline = time.monotonic() + timeout
    # Each site's own /health/ready answers at once, ready or not; the gateway's /health asks every site
    # over RPC and waits up to three seconds for one not yet consuming. The gateway is asked once every
    # site says it is ready, so that its answer is not one started just before the last site was.
    pending = _site_ready_urls(reg)
    while pending and time.monotonic() < deadline:
        for code, url in list(pending.items()):
            try:
                if requests.get(url, timeout=5).status_code == 200:
                    del pending[code]
            except requests.RequestException:
                pass
        if pending:
            time.sleep(0.2)
    health = None
    while time.monotonic() < deadline:
        try:
            health = requests.get(_gateway_url(reg) + "/health", timeout=10).json()
            if health.get("ready"):
                return health
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.2)  # as the sites' own: a half-second turn was a quarter of a second lost on average
    return health


def _web_answers(reg, timeout: float) -> bool:
    """Whether the front office's sign-in page answers within ``timeout`` seconds (True when there is none)."""
    web = _web_url(reg)
    deadline = time.monotonic() + timeout
    while web:
        try:
            if requests.get(web + "/connexion", timeout=5).status_code == 200:
                return True
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def _print_where(reg, health: dict | None, node=None) -> None:
    sites = (health or {}).get("sites", {})
    if _web_url(reg):
        print(f"front office {_web_url(reg)}  (sign in as a demo user of any Mission)")
    print(f"gateway      {_gateway_url(reg)}  (GET /health)")
    if node is not None:
        ui = f"management {node.management_url}" if node.management else "no management UI"
        where = f"its own node, data in {node.dir}, {ui}"
    else:
        where = f"management {reg.broker['management_url']}, external"
    print(f"broker       amqp://{reg.broker['host']}:{reg.broker['port']}  ({where})")
    for site in reg.sites:
        state = "ready" if sites.get(site.code, {}).get("ready") else "NOT READY"
        print(
            f"{site.code:<12} {state:<9} vhost {site.vhost:<22} metrics http://127.0.0.1:{site.observability_port}/metrics"
        )
    print(f"data         {reg.data_dir}  (logs in {reg.data_dir / 'log'})")


def _stop_processes(reg, names: list[str] | None = None, grace: float = 20, node=None) -> int:
    """SIGTERM to every process ``up`` recorded (or only ``names``), all at once, SIGKILL after ``grace`` seconds;
    then the broker ``node``, once no site is left to lose it mid-stop (a site whose broker vanishes while it
    stops retries its connection instead of finishing). The sites take two or three seconds, the node six: five
    of them are a fixed wait in RabbitMQ's own shutdown."""
    pids = {}
    for pidfile in sorted(_run_dir(reg).glob("*.pid")):
        if names is not None and pidfile.stem not in names:
            continue
        try:
            pid = int(pidfile.read_text())
            os.kill(pid, signal.SIGTERM)
            pids[pidfile] = pid
        except (ValueError, ProcessLookupError):
            pidfile.unlink(missing_ok=True)
    deadline = time.monotonic() + grace
    for pidfile, pid in pids.items():
        while time.monotonic() < deadline and alive(pid):
            time.sleep(0.05)
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
        pidfile.unlink(missing_ok=True)
    if node is not None:
        node.stop(keep_data=True, timeout=grace)
    return len(pids)


def cmd_down(args) -> int:
    reg = _registry(args)
    node = _embedded_node(reg)
    node = node if node is not None and node.running() else None
    stopped = _stop_processes(reg, node=node)
    print(f"stopped {stopped} processes" + (" and the broker node" if node is not None else ""))
    return 0


def cmd_status(args) -> int:
    reg = _registry(args)
    for pidfile in sorted(_run_dir(reg).glob("*.pid")):
        pid = int(pidfile.read_text())
        print(f"{pidfile.stem:<18} pid {pid:<8} {'running' if alive(pid) else 'gone'}")
    try:
        health = requests.get(_gateway_url(reg) + "/health", timeout=15).json()
    except (requests.RequestException, ValueError):
        print(f"gateway does not answer at {_gateway_url(reg)}")
        return 1
    if args.json:
        print(json.dumps(health, indent=2))
    else:
        _print_where(reg, health, _embedded_node(reg))
    return 0 if health.get("ready") else 1


def cmd_seed(args) -> int:
    from nameko.exceptions import RpcTimeout

    from runtime.demo import seed

    reg = _registry(args)
    try:
        totals = seed(reg, per_mission=args.per_mission, seed=args.random_seed)
    except RpcTimeout as exc:
        raise ConfigError(
            f"demo data: a service did not answer within {exc} s (see 'passerelle status'); "
            "'passerelle seed' again finds what was already loaded and adds the rest"
        ) from None
    print(
        f"seeded {totals['beneficiaries']} beneficiaries, {totals['employers']} employers "
        f"and {totals['partners']} partner organisations in {totals['missions']} Missions"
    )
    return 0


def cmd_import_forem(args) -> int:
    """Import a feed of Le Forem's public offers into one Mission, in batches, reporting bad rows."""
    from employer.forem import parse

    from gateway.rpc_clients import RpcClients
    from kit.actor import Actor

    reg = _registry(args)
    site = reg.site(args.site)
    context = Actor("passerelle-import", site.code, ("employer_relations",)).context()
    # A batch of offers is not an interactive request: it gets a budget of its own (--timeout), not the registry's.
    sites = RpcClients(reg, timeout=args.timeout)
    totals = {"created": 0, "updated": 0, "unchanged": 0}
    rejected, batch, seen = [], [], 0

    def flush():
        if batch:
            result = sites.call(site.code, "employer", "import_offers", batch, context=context)
            for key in totals:
                totals[key] += result[key]
            rejected.extend(result["rejected"])
            batch.clear()
            print(
                f"  {seen} rows read: {totals['created']} created, {totals['updated']} updated, "
                f"{totals['unchanged']} unchanged, {len(rejected)} rejected",
                file=sys.stderr,
            )

    try:
        with open(args.file, encoding="utf-8") as feed:
            for line, row in parse(feed):
                seen += 1
                if isinstance(row, str):
                    rejected.append({"line": line, "reason": row})
                else:
                    batch.append(dict(row, line=line))
                if len(batch) >= args.batch:
                    flush()
            flush()
    finally:
        sites.close()
    print(
        json.dumps(
            {**totals, "rows": seen, "rejected": sorted(rejected, key=lambda r: r["line"] or 0)},
            ensure_ascii=False,
            indent=1,
        )
    )
    return 0


def cmd_import_files(args) -> int:
    """Import a Mission's existing files (CSV or XLSX, docs/import-files.md) into its databases."""
    import getpass

    from runtime.importing.run import Importer, Progress, summary, write_report

    reg = _registry(args)
    paths = [Path(f) for f in args.files]
    importer = Importer(reg.site(args.site), args.run_by or getpass.getuser(), args.dry_run, Progress(sys.stderr))
    try:
        outcome = importer.run(paths)
    finally:
        importer.close()
    report = Path(args.report) if args.report else paths[0].with_name(paths[0].name + ".rejets.csv")
    if outcome.rejected:
        write_report(outcome, report)
    summary(outcome, report if outcome.rejected else None)
    return 1 if outcome.rejected else 0


def cmd_agency_replay(args) -> int:
    """Ask every Mission's agency-event producers to queue again what ``args.agency`` was sent since a date."""
    from datetime import date

    from contracts.agency.catalogue import CATALOGUE
    from gateway.rpc_clients import RpcClients
    from kit.actor import Actor

    try:
        since = date.fromisoformat(args.since).isoformat()
    except ValueError:
        raise ConfigError(f"--since {args.since!r} is not an ISO date (YYYY-MM-DD)") from None
    reg = _registry(args)
    missions = [reg.site(code) for code in args.missions.split(",")] if args.missions else reg.missions
    producers = sorted({kind.producer for kind in CATALOGUE.values()})
    sites, total, failed = RpcClients(reg), 0, []
    try:
        for site in missions:
            # The replay is the Mission's act, done for it by the platform: a director's right (kit.permissions).
            context = Actor("passerelle-agency-replay", site.code, ("director",)).context()
            for service in producers:
                if service not in site.services:
                    continue
                try:
                    result = sites.call(site.code, service, "replay_agency_events", args.agency, since, context=context)
                except Exception as exc:  # one Mission down must not hide the others' replays
                    failed.append(f"{site.code}/{service}: {type(exc).__name__}: {exc}")
                    continue
                total += result["replayed"]
                print(f"  {site.code}/{service}: {result['replayed']} events queued again", file=sys.stderr)
    finally:
        sites.close()
    print(
        json.dumps(
            {"agency": args.agency, "since": since, "replayed": total, "failed": failed}, ensure_ascii=False, indent=1
        )
    )
    return 1 if failed else 0


def cmd_rotate_sector_key(args) -> int:
    """Ask each Mission's beneficiary service to re-derive its pseudonyms, batch after batch, until none is left.

    Run after the new key is deployed to every Mission (ARCHITECTURE.md, "Sector key rotation"); repeating
    it is harmless. Each batch commits its people and their ``pseudonym_rekeyed`` events together.
    """
    from gateway.rpc_clients import RpcClients
    from kit.actor import Actor

    reg = _registry(args)
    missions = [reg.site(code) for code in args.missions.split(",")] if args.missions else reg.missions
    sites, done, failed = RpcClients(reg), {}, []
    try:
        for site in missions:
            # The platform acts for the Mission's direction, as for an agency replay (kit.permissions).
            context = Actor("passerelle-rotate-sector-key", site.code, ("director",)).context()
            totals = {"rekeyed": 0, "labelled": 0}
            try:
                while True:
                    result = sites.call(site.code, "beneficiary", "rekey_pseudonyms", args.batch, context=context)
                    totals["rekeyed"] += result["rekeyed"]
                    totals["labelled"] += result["labelled"]
                    print(
                        f"  {site.code}: {totals['rekeyed']} re-derived, {result['remaining']} left "
                        f"(key {result['key']})",
                        file=sys.stderr,
                    )
                    if result["remaining"] == 0:
                        break
                    if result["rekeyed"] + result["labelled"] == 0:
                        raise RuntimeError(f"{result['remaining']} left but none re-derived")
            except Exception as exc:  # one Mission down must not stop the others; run again for it
                failed.append(f"{site.code}: {type(exc).__name__}: {exc}")
                continue
            done[site.code] = {**totals, "key": result["key"]}
    finally:
        sites.close()
    keys = sorted({d["key"] for d in done.values()})
    if len(keys) > 1:
        failed.append(f"the Missions run different sector keys ({', '.join(keys)}): deploy one key everywhere")
    print(json.dumps({"missions": done, "failed": failed}, ensure_ascii=False, indent=1))
    return 1 if failed else 0


def cmd_retention(args) -> int:
    """Apply each site's retention periods (``retention:`` in the registry; ``kit.retention``) in every service
    of the site, or with ``--dry-run`` only say what would go: counts, and the ids of the files to erase.

    Each call does a bounded amount of work and says whether more is left; the verb calls again until none
    is, so one run empties what is due. Running it again removes nothing more (until time passes).
    """
    from gateway.rpc_clients import RpcClients
    from kit.actor import Actor

    reg = _registry(args)
    sites = [reg.site(code) for code in args.sites] if args.sites else reg.sites
    # A call deletes up to ten batches a table or erases a hundred files: more than an interactive budget.
    clients, report, failed = RpcClients(reg, timeout=max(60.0, reg.platform["rpc_timeout"])), {}, []
    try:
        for site in sites:
            # The platform acts for the site's direction, as for an agency replay (kit.permissions).
            context = Actor("passerelle-retention", site.code, ("director",)).context()
            periods = site.retention.as_dict()
            report[site.code] = {"periods": periods}
            for service in site.services:
                totals: dict = {}
                try:
                    while True:
                        answer = clients.call(
                            site.code, service, "apply_retention", periods, args.dry_run, context=context
                        )
                        for key in ("outbox", "inbox", "audit", "sector_facts", "sector_entries"):
                            if key in answer:
                                totals[key] = totals.get(key, 0) + answer[key]
                        if "files" in answer:
                            totals.setdefault("files", []).extend(answer["files"])
                        if not answer["more"]:
                            break
                except Exception as exc:  # one site or service down must not stop the others; run again for it
                    failed.append(f"{site.code}/{service}: {type(exc).__name__}: {exc}")
                    continue
                report[site.code][service] = totals
                print(f"  {site.code}/{service}: {_said(totals, args.dry_run)}", file=sys.stderr)
    finally:
        clients.close()
    print(json.dumps({"dry_run": args.dry_run, "sites": report, "failed": failed}, ensure_ascii=False, indent=1))
    return 1 if failed else 0


def _said(totals: dict, dry_run: bool) -> str:
    kinds = ("outbox", "inbox", "audit", "sector_facts", "sector_entries")
    rows = ", ".join(f"{totals[k]} {k}" for k in kinds if k in totals)
    said = f"rows {'that would go' if dry_run else 'gone'}: {rows}"
    if "files" in totals:
        said += f"; closed files {'to erase' if dry_run else 'erased'}: {len(totals['files'])}"
    return said


def cmd_token(args) -> int:
    """Print a development bearer token (HS256, development secret) for the gateway."""
    from gateway.auth import mint

    roles = args.roles.split(",")
    if "partner" in roles and not args.organisation:
        print("a partner token names its organisation: --organisation ID (from the Mission's partner directory)")
        return 2
    print(mint(args.sub, args.mission, roles, ttl=args.ttl, organisation=args.organisation))
    return 0


def cmd_run_site(args) -> int:
    return processes.run_site(
        _registry(args),
        args.code,
        services=args.services.split(",") if args.services else None,
        port=args.observability_port,
    )


def cmd_run_gateway(args) -> int:
    return processes.run_gateway(_registry(args))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="passerelle", description=__doc__.split("\n")[0])
    parser.add_argument("--registry", help="registry file (default: config/missions.yaml)")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the whole platform in the background")
    up.add_argument("--seed", action="store_true", help="then load demo data")
    up.add_argument("--per-mission", type=int, default=20)
    up.add_argument("--random-seed", type=int, default=2015)
    up.add_argument("--timeout", type=float, default=120)
    sub.add_parser("down", help="stop what 'up' started")
    st = sub.add_parser("status", help="processes and readiness")
    st.add_argument("--json", action="store_true")
    seed = sub.add_parser("seed", help="realistic demo data per Mission")
    seed.add_argument("--per-mission", type=int, default=20)
    seed.add_argument("--random-seed", type=int, default=2015)
    mig = sub.add_parser("migrate", help="build or upgrade every service database")
    mig.add_argument("--sites", help="comma-separated site codes (default: all)")
    sub.add_parser("broker-setup", help="declare the broker topology")
    rs = sub.add_parser("run-site", help="run one site in the foreground")
    rs.add_argument("code")
    rs.add_argument("--services", help="comma-separated subset of the site's services")
    rs.add_argument("--observability-port", type=int, help="port of /metrics and /health (default: from the registry)")
    sub.add_parser("run-gateway", help="run the gateway in the foreground")
    tok = sub.add_parser("token", help="mint a development bearer token for the gateway")
    tok.add_argument("--sub", required=True, help="who (e.g. anne.counsellor)")
    tok.add_argument("--mission", required=True, help="a Mission code, or intermire")
    tok.add_argument("--roles", required=True, help="comma-separated roles, e.g. counsellor,social_worker")
    tok.add_argument("--ttl", type=int, default=3600, help="seconds of validity")
    tok.add_argument(
        "--organisation", help="for the partner role: the organisation's id in the Mission's partner directory"
    )
    imp = sub.add_parser("import-forem", help="import a feed of Le Forem's public job offers into a Mission")
    imp.add_argument("site")
    imp.add_argument("file", help="CSV or JSON Lines feed (mapping in services/employer/employer/forem.py)")
    imp.add_argument("--batch", type=int, default=500)
    imp.add_argument("--timeout", type=float, default=120.0, help="seconds each batch may take (default 120)")
    imf = sub.add_parser("import-files", help="bring a Mission's existing files in (docs/import-files.md)")
    imf.add_argument("site", help="the Mission's code, e.g. mirec")
    imf.add_argument("files", nargs="+", metavar="FILE", help="CSV or XLSX: people and/or employers")
    imf.add_argument("--dry-run", action="store_true", help="check every row as the import would, write nothing")
    imf.add_argument("--report", help="where the rejected rows go (default: FILE.rejets.csv beside the first file)")
    imf.add_argument("--run-by", help="who runs the import, for the audit (default: the system user)")
    rot = sub.add_parser("rotate-sector-key", help="re-derive pseudonyms under the sector key now deployed")
    rot.add_argument("--missions", help="comma-separated Mission codes (default: every Mission)")
    rot.add_argument("--batch", type=int, default=500, help="people per transaction")
    rep = sub.add_parser("agency-replay", help="send an agency its events again from a date")
    rep.add_argument("--agency", required=True, choices=("forem", "actiris"))
    rep.add_argument("--since", required=True, help="ISO date: events the agency was sent from that day")
    rep.add_argument("--missions", help="comma-separated Mission codes (default: every Mission)")
    ret = sub.add_parser("retention", help="apply each site's retention schedule (or --dry-run: what would go)")
    ret.add_argument("--dry-run", action="store_true", help="only say what would go: counts and file ids")
    ret.add_argument("sites", nargs="*", metavar="SITE", help="site codes (default: every site)")
    args = parser.parse_args(argv)
    handler = {
        "up": cmd_up,
        "down": cmd_down,
        "status": cmd_status,
        "seed": cmd_seed,
        "migrate": cmd_migrate,
        "broker-setup": cmd_broker_setup,
        "run-site": cmd_run_site,
        "run-gateway": cmd_run_gateway,
        "import-forem": cmd_import_forem,
        "import-files": cmd_import_files,
        "token": cmd_token,
        "agency-replay": cmd_agency_replay,
        "rotate-sector-key": cmd_rotate_sector_key,
        "retention": cmd_retention,
    }[args.command]
    try:
        return handler(args)
    except ConfigError as exc:
        print(f"passerelle: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
