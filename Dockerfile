# admitd's container image.
#
#   docker build -t REGISTRY/admitd:0.1.0 .
#
# Built on Debian 12 with Debian's libraries; runs on distroless
# base-debian12 (glibc, CA certificates, no shell, no package manager) as
# user 65532, with only the shared libraries admitd loads copied in.

FROM debian:12 AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      gcc libc6-dev make pkg-config \
      libh2o-evloop-dev libssl-dev libjansson-dev libcyaml-dev libyaml-dev libcurl4-openssl-dev \
      libpcre2-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY webhook/ webhook/
COPY policies/ policies/
RUN make build/admitd \
 && mkdir -p /out \
 && strip --strip-unneeded -o /out/admitd build/admitd

# The shared libraries admitd loads, exactly as `ldd build/admitd` lists
# them plus libcurl and its own (dlopen()ed by `admitd audit --cluster` and
# by the image-signatures policy's registry client, in `serve` too),
# less glibc's (those of Debian's libc6 package: libc, ld-linux,
# libresolv, libm, ...), which the runtime base has and which must match
# its loader. Everything else is copied, even libssl and libcrypto that
# distroless also ships, so that admitd runs with the very libraries it was
# built against. The build stops when this list and ldd disagree, and so
# does tests/deploy/test_deploy.sh: update the list when a dependency
# changes.
RUN set -eu; \
    libs=" \
      libbrotlicommon.so.1 \
      libbrotlidec.so.1 \
      libcom_err.so.2 \
      libcrypto.so.3 \
      libcurl.so.4 \
      libcyaml.so.1 \
      libffi.so.8 \
      libgmp.so.10 \
      libgnutls.so.30 \
      libgssapi_krb5.so.2 \
      libh2o-evloop.so.0.13 \
      libhogweed.so.6 \
      libidn2.so.0 \
      libjansson.so.4 \
      libk5crypto.so.3 \
      libkeyutils.so.1 \
      libkrb5.so.3 \
      libkrb5support.so.0 \
      liblber-2.5.so.0 \
      libldap-2.5.so.0 \
      libnettle.so.8 \
      libnghttp2.so.14 \
      libp11-kit.so.0 \
      libpcre2-8.so.0 \
      libpsl.so.5 \
      librtmp.so.1 \
      libsasl2.so.2 \
      libssh2.so.1 \
      libssl.so.3 \
      libtasn1.so.6 \
      libunistring.so.2 \
      libwslay.so.1 \
      libyaml-0.so.2 \
      libz.so.1 \
      libzstd.so.1 \
    "; \
    dir=/out/usr/lib/$(gcc -print-multiarch); \
    mkdir -p "$dir"; \
    curl=/usr/lib/$(gcc -print-multiarch)/libcurl.so.4; \
    { ldd build/admitd; echo "libcurl.so.4 => $curl (0)"; ldd "$curl"; } | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' | sort -u > /tmp/ldd; \
    for l in $libs; do \
      p=$(awk -v l="$l" '$1 == l {print $2}' /tmp/ldd); \
      [ -n "$p" ] || { echo "Dockerfile: $l is listed but admitd does not load it" >&2; exit 1; }; \
      cp -L "$p" "$dir/$l"; \
    done; \
    while read -r l p; do \
      case " $libs " in *" $l "*) continue ;; esac; \
      if dpkg -S "$p" "/usr$p" 2>/dev/null | grep -q '^libc6:'; then continue; fi; \
      echo "Dockerfile: admitd loads $l ($p), which is not in the list" >&2; exit 1; \
    done < /tmp/ldd

# base-debian12 has /etc/ssl/certs/ca-certificates.crt, the CA bundle
# Debian's libcurl verifies registries (without a caFile) and the API
# server against; a base without it would need it copied from the build.
FROM gcr.io/distroless/base-debian12:nonroot
COPY --from=build /out/ /
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/admitd", "serve"]
