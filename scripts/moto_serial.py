"""moto server applying one request at a time.

Real DynamoDB applies each conditional write atomically. moto's stock server is threaded and can
interleave two conditional updates of the same item, so a race test (one winner among many)
could see two winners. Here connections are still served by threads (keep-alive clients do not
block each other), but the requests themselves pass one by one through a lock, which restores
the real service's guarantee. The suite's requests are short, so throughput is not an issue.

Usage: python moto_serial.py HOST PORT
"""
import os
import sys
import threading

from werkzeug.serving import run_simple

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

host, port = sys.argv[1], int(sys.argv[2])
os.environ.setdefault("MOTO_PORT", str(port))
moto_app = DomainDispatcherApplication(create_backend_app)
one_at_a_time = threading.Lock()


def serialized(environ, start_response):
    with one_at_a_time:
        # Materialize the body inside the lock so the whole request is handled atomically.
        return list(moto_app(environ, start_response))


run_simple(host, port, serialized, threaded=True, request_handler=MotoRequestHandler)
