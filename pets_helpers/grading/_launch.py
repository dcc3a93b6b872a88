"""Apply resource limits, join a process cgroup, then exec the kernel command (no imports of
the course: this runs as ``python -S -E _launch.py --data N [--nproc N] [--cgroup DIR] -- CMD``).
"""

import os
import resource
import sys


def main(argv):
    split = argv.index("--")
    options, command = argv[:split], argv[split + 1:]
    pairs = dict(zip(options[0::2], options[1::2]))
    if "--cgroup" in pairs:
        with open(os.path.join(pairs["--cgroup"], "cgroup.procs"), "w") as fh:
            fh.write(str(os.getpid()))
    for flag, limit in (("--data", resource.RLIMIT_DATA), ("--fsize", resource.RLIMIT_FSIZE),
                        ("--nproc", resource.RLIMIT_NPROC)):
        if flag in pairs:
            value = int(pairs[flag])
            soft, hard = resource.getrlimit(limit)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(limit, (value, value))
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
