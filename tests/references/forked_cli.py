"""``python -m sdarts_lite ARGS`` for many ARGS, without paying for importing torch and tearing it
down again each time (seconds per command).

A server for tests/base/test_guard_properties.py: it imports the package once, then for each request forks a
child that runs the command line as ``python -m`` does (``runpy``), in a process of its own with its
own exit status, stdout and stderr.  The child ends as the interpreter would end the command (a
``SystemExit``'s status, or the traceback of an uncaught exception on stderr and status 1) but
skips the interpreter's teardown, which touches every object and so copies the whole parent.

Requests are JSON lines on stdin, ``[args, stdout_path, stderr_path]``; each answer is a line on
stdout, the child's exit status (negative: the signal that ended it).
"""

import gc
import json
import os
import runpy
import signal
import sys

# What the commands import, imported once before forking: what the server is for.
import sklearn.datasets  # noqa: F401 - load_dataset("digits")
import torch._dynamo  # noqa: F401 - torch's optimizers, at their first step

import sdarts_lite.frontends.cli  # noqa: F401

LIMIT_S = 600  # a child still running after this long is ended by SIGALRM (exit status -14)


def run_command(args: list[str]) -> int:
    """``python -m sdarts_lite *args`` in this process; the exit status the interpreter would give."""
    sys.argv = [sys.argv[0], *args]
    try:
        runpy.run_module("sdarts_lite", run_name="__main__", alter_sys=True)
        return 0
    except SystemExit as exit:
        if exit.code is None or isinstance(exit.code, int):
            return exit.code or 0
        print(exit.code, file=sys.stderr)
        return 1
    except BaseException:  # noqa: BLE001 - reported as the interpreter reports it
        sys.excepthook(*sys.exc_info())
        return 1


def serve() -> None:
    """Answer requests until stdin closes."""
    gc.freeze()  # the children's collections leave the imported objects (and their pages) alone
    for line in sys.stdin:
        args, out, err = json.loads(line)
        pid = os.fork()
        if pid == 0:
            for fd, path, flags in ((0, os.devnull, os.O_RDONLY), (1, out, os.O_WRONLY | os.O_CREAT),
                                    (2, err, os.O_WRONLY | os.O_CREAT)):
                os.dup2(os.open(path, flags, 0o644), fd)
            signal.alarm(LIMIT_S)
            status = run_command(args)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), flush=True)


if __name__ == "__main__":
    serve()
