"""The command line without the interpreter's start-up: `ForkedCLI().run(entry, arguments, cwd, env)` answers as
`subprocess.run([python, entry, *arguments], cwd=cwd, env=env)` does, in about a second less per command.

A server process imports what the entry points import (torch, Lightning, Hydra, gansuite: ~4 s on a 2-core CPU,
most of a short command's time) once, then forks a child per command. The child is what `python <entry>` would be
after its imports: it takes the command's working directory, environment and argv, sends stdout and stderr to files,
runs the entry file as `__main__` and exits with its status (SystemExit's code, 1 and the traceback for an uncaught
exception, as the interpreter does) after running the atexit handlers. Nothing of the server's state reaches a child
but the imported modules, which every entry point imports anyway: Hydra, logging and the run are set up in the child.

Tests whose subject is a fresh interpreter (what an entry point imports before answering, signals, the installed
wheel) start a real one; tests that run many commands for what the commands do use this.
"""

import atexit
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

PRELOADED = (
    "torch",
    "torchvision",
    "lightning",
    "hydra",
    "gansuite.run.train",
    "gansuite.run.sampling",
    "gansuite.run.evaluating",
    "gansuite.run.translating",
)


def run_child(request: dict) -> None:
    """In the forked child: the command of `request`, then exit with its status (never returns)."""
    import atexit
    import runpy
    import signal
    import traceback

    code = 1
    try:
        signal.alarm(request["timeout"])  # a hung command ends as a killed one (SIGALRM: status -14)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        # As the interpreter reads PYTHONPATH at its start: after the entry's folder, before the installed packages.
        sys.path[1:1] = [entry for entry in request["env"].get("PYTHONPATH", "").split(os.pathsep) if entry]
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)  # the server's stdin carries the requests: not the command's
        for fd, name in ((1, "stdout"), (2, "stderr")):
            os.dup2(os.open(request[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
        sys.argv = [request["entry"], *request["arguments"]]
        sys.path[0] = str(Path(request["entry"]).parent)  # as `python <entry>` puts its folder first
        try:
            runpy.run_path(request["entry"], run_name="__main__")
            code = 0
        except SystemExit as exit_:
            if isinstance(exit_.code, int) or exit_.code is None:
                code = exit_.code or 0
            else:  # sys.exit("message"): the interpreter prints it and exits with 1
                print(exit_.code, file=sys.stderr)
        except BaseException:
            traceback.print_exc()
        atexit._run_exitfuncs()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    """The server's loop: one JSON request per line on stdin, the child's exit status per line on stdout."""
    for module in PRELOADED:
        __import__(module)
    assert threading.active_count() == 1, "forking a process with threads would copy held locks"
    print("ready", flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            run_child(request)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), flush=True)


class ForkedCLI:
    """A pool of up to `servers` servers (one command at a time each), for callers in as many threads: the first
    starts with the pool, another only when every server is busy (a start imports for seconds, which a test session
    that never runs two commands at once should not pay)."""

    def __init__(self, servers: int = 1) -> None:
        self.max_servers = servers
        self.servers = [self.start_server()]
        self.free = list(self.servers)
        self.lock = threading.Condition()

    @staticmethod
    def start_server() -> subprocess.Popen:
        environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # each command brings its own
        server = subprocess.Popen(
            [sys.executable, __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=environment
        )
        assert server.stdout.readline().strip() == "ready", "the forked CLI's server did not start"
        return server

    def run(
        self, entry: Path, arguments: list[str], cwd: Path, env: dict[str, str], timeout: int
    ) -> subprocess.CompletedProcess:
        with self.lock:
            if not self.free and len(self.servers) < self.max_servers:
                self.servers.append(self.start_server())
                self.free.append(self.servers[-1])
            self.lock.wait_for(lambda: self.free)
            server = self.free.pop()
        try:
            with tempfile.TemporaryDirectory() as folder:
                out, err = Path(folder) / "stdout", Path(folder) / "stderr"
                request = {"entry": str(entry), "arguments": arguments, "cwd": str(cwd), "env": env, "timeout": timeout}
                server.stdin.write(json.dumps({**request, "stdout": str(out), "stderr": str(err)}) + "\n")
                server.stdin.flush()
                returncode = int(server.stdout.readline())
                return subprocess.CompletedProcess(
                    [sys.executable, str(entry), *arguments], returncode, out.read_text(), err.read_text()
                )
        finally:
            with self.lock:
                self.free.append(server)
                self.lock.notify()

    def close(self) -> None:
        for server in self.servers:
            server.stdin.close()
            server.wait()


SHARED: list[ForkedCLI] = []


def shared_cli() -> ForkedCLI:
    """The test session's servers (two at most), started on first use and closed when the session's interpreter
    exits."""
    if not SHARED:
        SHARED.append(ForkedCLI(servers=2))
        atexit.register(SHARED[0].close)
    return SHARED[0]


def run_python(command: list[str], cwd: Path, env: dict[str, str], timeout: int) -> subprocess.CompletedProcess:
    """`subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)` for a command
    `[sys.executable, <entry>.py, *arguments]`, forked from the shared servers."""
    python, entry, *arguments = command
    assert python == sys.executable and entry.endswith(".py"), f"not a python <file> command: {command}"
    return shared_cli().run(Path(entry), arguments, cwd, env, timeout)


if __name__ == "__main__":
    serve()
