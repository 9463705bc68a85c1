#!/bin/sh
# Jaeger v2 all-in-one built from the Go module proxy; arguments as for the
# official jaegertracing/jaeger image (e.g. --config file:/path/config.yaml).
exec /opt/ripple/jaeger "$@"
