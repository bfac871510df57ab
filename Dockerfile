# syntax=docker/dockerfile:1
# Build: docker build -t civicwatch .
# Run:   docker run -d --name civicwatch -v civicwatch:/data civicwatch   (see docs/docker.md)
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# CGO_ENABLED=0: modernc.org/sqlite is pure Go, so the binary is static and
# runs on a distroless base with nothing else in it.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/civicwatch ./cmd/civicwatch \
 && mkdir -p /out/data && cp feeds.yaml /out/data/feeds.yaml

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/civicwatch /usr/local/bin/civicwatch
# The shipped config seeds a new named volume; operators edit it there.
COPY --from=build --chown=65532:65532 /out/data /data
ENV CIVICWATCH_CONFIG=/data/feeds.yaml \
    CIVICWATCH_DB=/data/civicwatch.db
WORKDIR /data
VOLUME /data
USER 65532:65532
# The console listens on 127.0.0.1 inside the container (run's default):
# publishing it is the operator's decision (docs/docker.md). The health check
# is the binary itself, since distroless has no curl, and asks run's default
# address, http://127.0.0.1:8080/healthz. It turns unhealthy while the daemon
# is stuck or degraded (no feed read within 2 × the poll interval, or most
# feeds failing).
# Changing the command? With `run --listen ADDR` give the same address:
#   docker run --health-cmd 'civicwatch healthcheck --url http://ADDR/healthz' …
# (for 0.0.0.0:PORT ask 127.0.0.1:PORT). `run --listen ""` serves no
# /healthz at all: run the container with --no-healthcheck then.
HEALTHCHECK --interval=1m --timeout=15s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/civicwatch", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/civicwatch"]
CMD ["run"]
