# Chief Monitor image: the static `monitor` and `gulag-chief` binaries on an empty base.
#
#   docker build -t chief-monitor .                        # from source (pulls golang:1.26)
#   make build && podman build --format docker --target local \
#       --build-context bin=bin -t chief-monitor .         # from binaries you built (no pull)
#
# The image runs `monitor serve` as user 65532 on 0.0.0.0:7410 with its SQLite database on the
# /data volume. It refuses to start without MONITOR_API_KEY (or MONITOR_INGEST_API_KEY) and the
# three MONITOR_AUTH_* sign-in variables: see docs/deployment.md.

ARG GO_VERSION=1.26

# ---- build: both binaries from source, static (no libc: they run on the empty base) ----
FROM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# VERSION, when given, is what gulag-chief reports to the monitor as its version.
ARG VERSION=""
ENV CGO_ENABLED=0
RUN go build -trimpath -ldflags "-s -w -X github.com/gulag/chief-monitor/internal/chief/spec.version=${VERSION}" \
        -o /out/monitor ./cmd/monitor \
 && go build -trimpath -ldflags "-s -w -X github.com/gulag/chief-monitor/internal/chief/spec.version=${VERSION}" \
        -o /out/gulag-chief ./cmd/gulag-chief

# ---- dirs: an empty /data for the base to copy with the runtime user as owner ----
# (the empty base has no shell to mkdir/chown with, and COPY --chown of a stage's directory
# works the same in BuildKit and buildah)
FROM scratch AS dirs
WORKDIR /data
# buildah creates a WORKDIR only when a later step touches the file system, hence this copy.
COPY deploy/image/group /etc/group

# ---- base: everything but the binaries ----
FROM scratch AS base
COPY deploy/image/passwd deploy/image/group /etc/
# A fresh named volume takes the owner of the image's /data, so the database is writable by
# the non-root user without a chown step.
COPY --from=dirs --chown=65532:65532 /data /data
# /data is also the working directory: the monitor reads an optional /data/.env, and SQLite
# puts its temporary files in the working directory when there is no writable /tmp.
WORKDIR /data
ENV MONITOR_HOST=0.0.0.0 \
    MONITOR_PORT=7410 \
    MONITOR_DB_PATH=/data/monitor.sqlite
USER 65532:65532
EXPOSE 7410
VOLUME /data
# `monitor healthcheck` reads only MONITOR_HOST/MONITOR_PORT (0.0.0.0 is probed as 127.0.0.1),
# so it needs none of the secrets. Timings as the original image's.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 CMD ["/monitor", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/monitor"]
CMD ["serve"]
LABEL org.opencontainers.image.title="Chief Monitor" \
      org.opencontainers.image.description="Job monitoring service (monitor) and job runner (gulag-chief)" \
      org.opencontainers.image.source="https://github.com/gulag/chief-monitor"

# ---- local: the final image from binaries already built on this machine ----
# Needs a build context named "bin" holding monitor, gulag-chief and ca-certificates.crt
# (`--build-context bin=DIR`); nothing is pulled, so it builds offline.
FROM base AS local
COPY --from=bin ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=bin monitor gulag-chief /

# ---- chief-demo: gulag-chief with Python for the sample jobs (docker-compose's chief service) ----
FROM python:3.13-slim AS chief-demo
COPY --from=build /out/gulag-chief /usr/local/bin/gulag-chief
# The compose file mounts chief.yaml and the sample scripts read-only into /jobs and puts named
# volumes on the directories the jobs write; they are created here so the volumes take user
# 65532 as owner.
RUN mkdir -p /jobs/.chief /jobs/workers/sample/state \
 && chown -R 65532:65532 /jobs
ENV HOME=/jobs
WORKDIR /jobs
USER 65532:65532
ENTRYPOINT ["gulag-chief"]
CMD ["daemon", "--config", "/jobs/chief.yaml", "--log-file", "-"]

# ---- release (default): the final image built from source ----
FROM base AS release
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/monitor /out/gulag-chief /
