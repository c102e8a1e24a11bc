"""The resident `az` worker: one process per state folder that keeps azure-ai-ml and MLflow imported and
serves each `az` call in a forked child, so a call costs a fork instead of ~3 s of imports.

`client.py` is what the `az` shim runs (standard library only, so it starts in milliseconds); `server.py`
is the worker, and this user's zygote: a process with the same imports that serves no call but forks
the worker of each new state folder, so that worker starts warm. A call is isolated like a process: the
child takes the caller's argv, environment, working directory, umask and its stdin/stdout/stderr
(passed as file descriptors over the Unix socket), runs in a session of its own, and dies with the
caller.
"""
