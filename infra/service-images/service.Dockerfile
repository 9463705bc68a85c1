# One Dockerfile for the locally built images of the services the integration
# suites need (Kafka, NATS, MinIO, Jaeger), used where no image registry is
# reachable; elsewhere the testcontainers provider runs the official images.
# The base (infra/service-images.sh: mmdebstrap bookworm + OpenJDK 17 JRE +
# Debian's nats-server) is shared by all four; each image adds one layer: its
# build context (binary or jars + an `entrypoint` that execs the server, so
# signals reach it). Classic-builder compatible, few instructions (vfs copies
# the filesystem for every committed step).
ARG SERVICES_BASE=ripple/services-base:bookworm
FROM ${SERVICES_BASE}
COPY . /opt/ripple/
USER 1000:1000
ENTRYPOINT ["/opt/ripple/entrypoint"]
