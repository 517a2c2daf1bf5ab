"""A launcher that runs a command and prints its peak RSS (KiB), for the benchmarks that measure whole processes.

A child's ru_maxrss counts the RSS of the process that spawned it (Linux records the old image's high-water mark at
exec), so this small launcher, not a bench holding a rendered web or a large database, must be the command's
parent. Run it as `python -c PEAK_RSS command args…`; its exit code is the command's.
"""

PEAK_RSS = (
    "import os, sys\n"
    "quiet = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)]\n"
    "pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ, file_actions=quiet)\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "print(usage.ru_maxrss)\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)
