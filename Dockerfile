# Parley's container image: one binary whose role is the command (serve, worker, scheduler, all,
# migrate, ...). Built by scripts/build-image (podman or docker); docs/deployment.md.
#
#   stage "build":   Debian 12 with the compiler and the -dev packages; compiles `parley` (Release)
#                    and gathers the runtime file set in /rootfs: the stripped binary, exactly the
#                    shared libraries it links (ldd), curl for the HEALTHCHECK, sleep for preStop
#                    hooks, CA certificates, time zones, libmagic's database, the migrations, the
#                    static files and the common-password list, and a passwd entry for the user.
#   stage "runtime": FROM scratch + /rootfs. No shell, no package manager; runs as uid 10001.
#
# The base is a local image (no registry needed): scripts/build-image makes it with
# `debootstrap --variant=minbase bookworm` when it is missing. Any Debian 12 image works.
ARG BASE_IMAGE=localhost/debian:bookworm

FROM ${BASE_IMAGE} AS build
ARG JOBS=2
ENV DEBIAN_FRONTEND=noninteractive
# The same build packages as scripts/bootstrap's build_pkgs, plus what the runtime stage copies.
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends \
      g++ make cmake ninja-build pkg-config binutils \
      libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev \
      libssl-dev libspdlog-dev libfmt-dev libcli11-dev prometheus-cpp-dev \
      libpq-dev libsqlite3-dev libargon2-dev libcurl4-openssl-dev \
      libcmark-gfm-dev libcmark-gfm-extensions-dev libmagic-dev librabbitmq-dev \
      libmagic-mgc tzdata ca-certificates curl coreutils >/dev/null \
 && rm -rf /var/lib/apt/lists/*
# The source lives where the runtime image keeps its data files: the binary's built-in defaults
# (PARLEY_SOURCE_DIR/migrations, /web, /data/common-passwords.txt) then point at them.
WORKDIR /usr/share/parley
COPY CMakeLists.txt ./
COPY cmake cmake
COPY src src
COPY migrations migrations
COPY web web
COPY data data
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DPARLEY_BUILD_TESTS=OFF -DPARLEY_BUILD_BENCH=OFF >/dev/null \
 && cmake --build /build --target parley -j "${JOBS}" \
 && strip --strip-unneeded /build/parley \
 && /build/parley version
# The runtime file set. Every library comes from ldd of the programs copied, so the image holds
# what Parley links and nothing else; `parley version` below runs in the assembled tree (chroot)
# and fails the build if a library is missing.
RUN set -eu; r=/rootfs; \
    mkdir -p $r/usr/bin $r/etc $r/tmp $r/var/lib/parley/uploads $r/usr/share/parley $r/usr/lib/file \
             $r/etc/ssl/certs $r/usr/share/zoneinfo $r/usr/share/misc; \
    cp /build/parley $r/usr/bin/parley; \
    cp /usr/bin/curl /usr/bin/sleep $r/usr/bin/; \
    for bin in /build/parley /usr/bin/curl /usr/bin/sleep; do \
      ldd "$bin" | awk '/=> \//{print $3} /^\t\/lib/{print $1}'; \
    done | sort -u | while read -r lib; do \
      mkdir -p "$r$(dirname "$lib")"; cp -L "$lib" "$r$lib"; \
    done; \
    case "$(uname -m)" in x86_64) mkdir -p $r/lib64 && cp -L /lib64/ld-linux-x86-64.so.2 $r/lib64/ ;; esac; \
    cp -a migrations web data $r/usr/share/parley/; \
    cp -L /usr/lib/file/magic.mgc $r/usr/lib/file/magic.mgc; \
    ln -s ../../lib/file/magic.mgc $r/usr/share/misc/magic.mgc; \
    cp -L /etc/ssl/certs/ca-certificates.crt $r/etc/ssl/certs/; \
    cp -a /usr/share/zoneinfo/. $r/usr/share/zoneinfo/; \
    rm -rf $r/usr/share/zoneinfo/right $r/usr/share/zoneinfo/posix; \
    printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nparley:x:10001:10001:Parley:/var/lib/parley:/usr/sbin/nologin\n' >$r/etc/passwd; \
    printf 'root:x:0:\nparley:x:10001:\n' >$r/etc/group; \
    printf 'passwd: files\ngroup: files\nhosts: files dns\n' >$r/etc/nsswitch.conf; \
    chmod 1777 $r/tmp; chown -R 10001:10001 $r/var/lib/parley; \
    chroot $r /usr/bin/parley version; chroot $r /usr/bin/curl --version >/dev/null

FROM scratch AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=https://example.invalid/parley
LABEL org.opencontainers.image.title="parley" \
      org.opencontainers.image.description="Parley: self-hosted messaging backend (REST, GraphQL, WebSocket)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="NOASSERTION" \
      org.opencontainers.image.base.name="scratch"
COPY --from=build /rootfs/ /
# Listen on every interface of the container; the database, Redis, broker, secret key and signing
# key come from the deployment (docs/deployment.md). Uploads go to the volume at /var/lib/parley.
ENV PARLEY_LISTEN=0.0.0.0:8000 \
    PARLEY_MIGRATIONS_DIR=/usr/share/parley/migrations \
    PARLEY_WEB_DIR=/usr/share/parley/web \
    PARLEY_UPLOAD_DIR=/var/lib/parley/uploads \
    PARLEY_DATABASE_URL=sqlite:/var/lib/parley/parley.db \
    TZ=UTC
WORKDIR /var/lib/parley
VOLUME ["/var/lib/parley"]
USER 10001:10001
EXPOSE 8000
# SIGTERM starts Parley's drain: the listener closes, in-flight requests get PARLEY_SHUTDOWN_GRACE
# (10 s), WebSockets close with 1001 (clients resume elsewhere), then jobs and pools stop.
STOPSIGNAL SIGTERM
# Every role (serve, worker, scheduler, all) answers /healthz on PARLEY_LISTEN's port.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["/usr/bin/curl", "-fsS", "-o", "/dev/null", "--max-time", "2", "http://127.0.0.1:8000/healthz"]
ENTRYPOINT ["/usr/bin/parley"]
CMD ["serve"]
