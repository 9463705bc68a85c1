#!/bin/sh
# NATS server (Debian nats-server), arguments as for the official nats image.
exec /usr/sbin/nats-server "$@"
