"""A nianbao process without real name resolution, for tests: a .invalid name fails at once, others resolve
as usual, and no DNS query leaves the machine."""

# Run as `python -c NO_DNS ARGS…`: the nianbao command with the resolver patched in its own process.
NO_DNS = """
import socket, sys

def failing_for_invalid(real):
    def resolve(host, *args, **kwargs):
        if str(host).rstrip(".").endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)
    return resolve

socket.getaddrinfo = failing_for_invalid(socket.getaddrinfo)
socket.gethostbyname = failing_for_invalid(socket.gethostbyname)
from nianbao.entry import main
sys.argv[0] = "nianbao"
main()
"""
