"""The part of the grader that runs inside the learner's kernel: answer one request.

A request ``(op, name, ...)`` is read from a file; the answer — ``("ok", value)``,
``("missing",)`` or ``("error", ename, evalue)`` — is pickled to another file. Values always
cross as pickles, so the grader compares copies, never live objects of the learner's kernel.
"""

import pickle


def serve(request_path: str, response_path: str) -> None:
    user_ns = get_ipython().user_ns  # noqa: F821 — defined inside IPython kernels
    with open(request_path, "rb") as fh:
        op, name, *rest = pickle.load(fh)
    try:
        if op == "has":
            answer = ("ok", name in user_ns)
        elif name not in user_ns:
            answer = ("missing",)
        elif op == "get":
            answer = ("ok", user_ns[name])
        else:
            func = user_ns[name]
            if not callable(func):
                raise TypeError(f"`{name}` is a {type(func).__name__}, not a function")
            args, kwargs = rest
            answer = ("ok", func(*args, **kwargs))
        data = pickle.dumps(answer)
    except Exception as exc:
        data = pickle.dumps(("error", type(exc).__name__, str(exc)))
    with open(response_path, "wb") as fh:
        fh.write(data)
