# Builds Tailor's two binaries into one small image: `worker` (the default
# command) and `starter` (the CLI). deploy/docker-compose.yml uses it for both.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/worker ./worker && \
    CGO_ENABLED=0 go build -trimpath -o /out/starter ./starter

FROM debian:bookworm-slim
# ca-certificates: the worker talks HTTPS to SendGrid.
RUN apt-get update && \
    apt-get install -y --no-install-recommends ca-certificates && \
    rm -rf /var/lib/apt/lists/* && \
    useradd --system --home-dir /var/lib/tailor --create-home tailor && \
    install -d -o tailor -g tailor /var/lib/tailor/outbox
COPY --from=build /out/worker /out/starter /usr/local/bin/
USER tailor
WORKDIR /var/lib/tailor
CMD ["worker"]
