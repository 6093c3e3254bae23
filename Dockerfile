# Build: a static binary (no cgo), the web app embedded in it.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/tablee ./server && mkdir -p /out/data

# Run: nothing but the binary, as a non-root user, data on a volume.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tablee /tablee
# The data folder exists and belongs to the runtime user, so a new volume
# mounted there is writable.
COPY --from=build --chown=65532:65532 /out/data /data
ENV TABLEE_ADDR=:8080 TABLEE_DATA=/data
VOLUME ["/data"]
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/tablee"]
