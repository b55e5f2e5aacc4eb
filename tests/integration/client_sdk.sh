# client_sdk.sh - the current AWS SDK for JavaScript v3 (sourced; uses lib.sh).
#   suite_sdk
# Runs js/sdk_test.mjs (@aws-sdk/client-s3 + @aws-sdk/lib-storage, pinned exactly in
# js/package.json and js/package-lock.json) with the SDK's 2025 defaults: CRC32 on every
# upload, a Buffer body as one PUT with x-amz-checksum-crc32, a stream body as
# STREAMING-UNSIGNED-PAYLOAD-TRAILER (aws-chunked, CRC32 in the trailer, HTTP chunked),
# a 12 MiB multipart Upload in 5 MiB parts, GetObject with checksum validation.
# The packages are installed once into js/node_modules (git-ignored) with `npm ci`
# from the lock file. Needs node and npm (Debian: nodejs npm), EP, AK, SK, REGION, W.

SDK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/js

# sdk_install: npm ci when node_modules is missing or older than the lock file.
sdk_install() {
    local stamp=$SDK_DIR/node_modules/.package-lock.json
    if [ -f "$stamp" ] && [ ! "$SDK_DIR/package-lock.json" -nt "$stamp" ]; then return 0; fi
    (cd "$SDK_DIR" && timeout -k 5 600 npm ci --no-audit --no-fund --loglevel=error) > "$W/sdk.npm" 2>&1
}

suite_sdk() {
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        bad "prerequisites" "node and npm not found (scripts/install-deps.sh test: nodejs npm)"
        return
    fi
    if ! sdk_install; then
        bad "npm ci" "$(brief "$(tail -n 5 "$W/sdk.npm")")"
        return
    fi
    ok "npm ci (@aws-sdk/client-s3 $(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$SDK_DIR/node_modules/@aws-sdk/client-s3/package.json" | head -1))"
    EP="$EP" AK="$AK" SK="$SK" REGION="$REGION" BUCKET=t-sdk W="$W" NODE_NO_WARNINGS=1 \
        timeout -k 5 600 node "$SDK_DIR/sdk_test.mjs" > "$W/sdk.out" 2> "$W/sdk.err" ||
        bad "suite" "sdk_test.mjs exited $?: $(brief "$(tail -n 3 "$W/sdk.err")")"
    count_results "$W/sdk.out"
}
