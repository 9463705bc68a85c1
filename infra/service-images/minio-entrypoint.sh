#!/bin/sh
# MinIO server built from the Go module proxy; arguments as for the official
# minio/minio image (e.g. server /tmp/data --address 127.0.0.1:9000).
[ "$1" = minio ] && shift
exec /opt/ripple/minio "$@"
