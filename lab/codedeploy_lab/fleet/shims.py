"""Programs a lab host finds where a real instance has them: package managers, service control, web servers.

The machine's ``/usr`` is read-only in a host, so they are written into the host's own ``/usr/local/bin`` and
``/usr/local/sbin``, which come first on the host's PATH: ``yum``, ``systemctl`` and ``service httpd start`` all
reach them (an absolute ``/usr/bin/systemctl`` reaches the machine's program, which fails without systemd).
Package managers record and succeed; service control records state in the lab through the host's gateway
(``/_lab/host/services/<name>``) and, for httpd/apache2/nginx, starts or stops the host's real web server.
``curl`` and ``wget`` need no shim: ``http://169.254.169.254`` and ``http://localhost/`` are really there.
"""

from __future__ import annotations

import shutil

from .sandbox import aws_cli_packages

# One Python program answers to every service-control and package-manager name (dispatch on argv[0]).
CONTROL_SHIM = r'''#!/usr/bin/python3 -I
"""codedeploy-lab shim: records package and service commands for this lab host (see /etc/codedeploy-lab)."""
import json, os, sys, time, urllib.error, urllib.request

CONFIG = json.load(open("/etc/codedeploy-lab/host.json"))
LOG_DIR = "/var/log/codedeploy-lab"
STATE_DIR = "/var/lib/codedeploy-lab"
WEB_PACKAGES = {"httpd": "httpd", "httpd24": "httpd", "apache2": "apache2", "nginx": "nginx", "nginx1": "nginx"}


def log(kind, argv):
    os.makedirs(LOG_DIR, exist_ok=True)
    with open(os.path.join(LOG_DIR, kind + ".log"), "a") as handle:
        handle.write(time.strftime("%Y-%m-%d %H:%M:%S ") + " ".join(argv) + "\n")


def call(path, payload=None):
    url = CONFIG["gateway"] + "/_lab/host" + path
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    except (urllib.error.URLError, OSError, ValueError) as error:
        sys.stderr.write(PROG + ": cannot reach the CodeDeploy lab (" + str(error) + ")\n")
        sys.exit(1)


def unit_name(name):
    for suffix in (".service", ".socket", ".target", ".timer"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def service(name, action):
    return call("/services/" + unit_name(name), {"action": action})


def packages(manager, args):
    log("packages", [manager] + args)
    words = [a for a in args if not a.startswith("-")]
    verb = words[0] if words else ""
    names = words[1:]
    if verb in ("install", "reinstall", "localinstall", "groupinstall") or (manager == "amazon-linux-extras" and verb == "install"):
        os.makedirs(STATE_DIR, exist_ok=True)
        with open(os.path.join(STATE_DIR, "packages"), "a") as handle:
            for name in names:
                handle.write(name + "\n")
        for name in names:
            if name.split("=")[0] in WEB_PACKAGES:
                os.makedirs("/var/www/html", exist_ok=True)
        call("/packages", {"manager": manager, "args": args})
        for name in names:
            print("Installed: " + name)
        print("Complete!" if manager in ("yum", "dnf", "amazon-linux-extras") else "Done.")
    else:
        call("/packages", {"manager": manager, "args": args})
    return 0


def show(state, name, verb):
    if verb == "is-active":
        print("active" if state["running"] else "inactive")
        return 0 if state["running"] else 3
    if verb == "is-enabled":
        print("enabled" if state["enabled"] else "disabled")
        return 0 if state["enabled"] else 1
    line = "active (running)" if state["running"] else "inactive (dead)"
    print("* " + name + ".service - " + name + " (codedeploy-lab)\n   Active: " + line)
    return 0 if state["running"] else 3


def systemctl(args):
    log("services", ["systemctl"] + args)
    now = "--now" in args
    words = [a for a in args if not a.startswith("-")]
    if not words:
        return 0
    verb, units = words[0], words[1:]
    actions = {"start": "start", "stop": "stop", "restart": "restart", "reload": "reload",
               "try-restart": "try-restart", "condrestart": "try-restart", "reload-or-restart": "restart",
               "try-reload-or-restart": "try-restart", "enable": "enable", "disable": "disable",
               "mask": "disable", "unmask": "status"}
    code = 0
    for unit in units:
        if verb in actions:
            state = service(unit, actions[verb])
            if now and verb in ("enable", "disable"):
                state = service(unit, "start" if verb == "enable" else "stop")
        elif verb in ("is-active", "is-enabled", "status"):
            code = max(code, show(service(unit, "status"), unit_name(unit), verb))
        elif verb == "is-failed":
            print("active" if service(unit, "status")["running"] else "inactive")
            code = 1
        else:
            sys.stderr.write("systemctl (codedeploy-lab): unsupported verb " + verb + "\n")
            return 1
    return code


def sysv_service(args):
    log("services", ["service"] + args)
    if not args or args[0] == "--status-all":
        for name, state in sorted(call("/services").items()):
            print(" [ " + ("+" if state["running"] else "-") + " ]  " + name)
        return 0
    name, verb = args[0], (args[1] if len(args) > 1 else "status")
    if verb == "status":
        return show(service(name, "status"), unit_name(name), "status")
    verb = {"condrestart": "try-restart", "force-reload": "restart", "graceful": "reload"}.get(verb, verb)
    if verb not in ("start", "stop", "restart", "reload", "try-restart"):
        sys.stderr.write("Usage: service " + name + " {start|stop|restart|reload|status}\n")
        return 1
    state = service(name, verb)
    print(("Starting " if verb != "stop" else "Stopping ") + name + ": [  OK  ]")
    return 0


def chkconfig(args):
    log("services", ["chkconfig"] + args)
    words = [a for a in args if not a.startswith("--")]
    if "--list" in args:
        for name, state in sorted(call("/services").items()):
            print(name + "\t" + ("3:on" if state["enabled"] else "3:off"))
        return 0
    if "--add" in args or "--del" in args:
        for name in words:
            service(name, "enable" if "--add" in args else "disable")
        return 0
    if len(words) >= 2:
        service(words[0], "enable" if words[-1] == "on" else "disable" if words[-1] == "off" else "status")
        return 0
    if len(words) == 1:
        return 0 if service(words[0], "status")["enabled"] else 1
    return 0


def apachectl(name, args):
    log("services", [PROG] + args)
    if not args or args[0] in ("-t", "configtest", "-k" if len(args) == 1 else "") or args[:1] == ["-S"]:
        print("Syntax OK")
        return 0
    verb = args[1] if args[0] == "-k" and len(args) > 1 else args[0]
    verb = {"graceful": "reload", "graceful-stop": "stop"}.get(verb, verb)
    if verb in ("start", "stop", "restart", "reload"):
        service(name, verb)
        return 0
    print("Syntax OK")
    return 0


def nginx(args):
    log("services", ["nginx"] + args)
    if "-t" in args or "-T" in args:
        print("nginx: configuration file /etc/nginx/nginx.conf test is successful")
        return 0
    if "-s" in args:
        signal = args[args.index("-s") + 1] if args.index("-s") + 1 < len(args) else ""
        service("nginx", {"stop": "stop", "quit": "stop", "reload": "reload", "reopen": "status"}.get(signal, "status"))
        return 0
    if "-v" in args or "-V" in args:
        sys.stderr.write("nginx version: nginx/1.24.0 (codedeploy-lab)\n")
        return 0
    service("nginx", "start")
    return 0


PROG = os.path.basename(sys.argv[0])
ARGS = sys.argv[1:]
if PROG in ("yum", "dnf", "apt-get", "apt", "amazon-linux-extras"):
    sys.exit(packages(PROG, ARGS))
if PROG == "systemctl":
    sys.exit(systemctl(ARGS))
if PROG == "service":
    sys.exit(sysv_service(ARGS))
if PROG == "chkconfig":
    sys.exit(chkconfig(ARGS))
if PROG in ("apachectl", "httpd"):
    sys.exit(apachectl("httpd", ARGS))
if PROG == "apache2ctl":
    sys.exit(apachectl("apache2", ARGS))
if PROG == "nginx":
    sys.exit(nginx(ARGS))
sys.stderr.write("codedeploy-lab shim: unknown program " + PROG + "\n")
sys.exit(127)
'''

CONTROL_SHIM_PATHS = (
    "/usr/local/bin/yum",
    "/usr/local/bin/dnf",
    "/usr/local/bin/apt-get",
    "/usr/local/bin/apt",
    "/usr/local/bin/amazon-linux-extras",
    "/usr/local/bin/systemctl",
    "/usr/local/sbin/service",
    "/usr/local/sbin/chkconfig",
    "/usr/local/sbin/httpd",
    "/usr/local/sbin/apachectl",
    "/usr/local/sbin/apache2ctl",
    "/usr/local/sbin/nginx",
)

# The AWS CLI of the lab's environment, run by the machine's Python (the sandbox binds the site-packages read-only).
AWS_CLI_SHIM = (
    '#!/bin/sh\nexec /usr/bin/python3 -s -c \'import sys; sys.path.insert(0, "{packages}"); '
    'from awscli.clidriver import main; sys.exit(main())\' "$@"\n'
)

# Only written when the machine has no sudo: everything on a lab host already runs as root.
SUDO_SHIM = """#!/bin/sh
# codedeploy-lab sudo: the agent and user data run as root; -u USER goes through su.
user=""
while [ $# -gt 0 ]; do
  case "$1" in
    -u) user="$2"; shift 2 ;;
    -u*) user="${1#-u}"; shift ;;
    --) shift; break ;;
    -*) shift ;;
    *) break ;;
  esac
done
if [ -n "$user" ] && [ "$user" != root ]; then
  exec su "$user" -s /bin/sh -c 'exec "$@"' sh "$@"
fi
exec "$@"
"""


def shim_files() -> list[dict[str, str]]:
    """The files (for ``inhost.write``) that put the shims in a host's root."""
    files = [{"path": path, "text": CONTROL_SHIM, "mode": "0755"} for path in CONTROL_SHIM_PATHS]
    packages = aws_cli_packages()
    if packages is not None and shutil.which("aws", path="/usr/bin") is None:
        files.append({"path": "/usr/local/bin/aws", "text": AWS_CLI_SHIM.format(packages=packages), "mode": "0755"})
    if shutil.which("sudo", path="/usr/bin:/usr/sbin") is None:
        files.append({"path": "/usr/local/bin/sudo", "text": SUDO_SHIM, "mode": "0755"})
    return files
