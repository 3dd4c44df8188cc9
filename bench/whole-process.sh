#!/usr/bin/env bash
# Whole-process measurements recorded in BENCHMARKS.md: hyperfine for `collaudo run` and for
# validate vs xmllint, wrk against the reference station. Needs: hyperfine, wrk, xmllint
# (Debian packages), a release build, and ../shared/pagopa-api for the XSD.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p collaudo --bin collaudo
cargo build --release --locked -p collaudo-wire --example write_bench_messages
BIN=target/release/collaudo
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"; kill $STATION_PID 2>/dev/null || true' EXIT
STATION_PID=""

echo "## collaudo run (full built-in suite, embedded station)"
hyperfine --warmup 3 --runs 20 "$BIN run --no-progress --out $OUT/run"

echo "## parse+validate: collaudo validate vs xmllint --schema (same payloads, whole process)"
XSD=../shared/pagopa-api/wsdl/xsd/paForNode.xsd
cargo run --release --quiet -p collaudo-wire --example write_bench_messages -- "$OUT"
hyperfine --warmup 3 \
  "$BIN validate $OUT/paSendRTV2Request.xml" \
  "xmllint --noout --schema $XSD $OUT/paSendRTV2Request.payload.xml" \
  "$BIN validate $OUT/paGetPaymentV2Response.xml" \
  "xmllint --noout --schema $XSD $OUT/paGetPaymentV2Response.payload.xml"

echo "## reference station under wrk (1 thread, 16 connections, loopback)"
PORT=18081
$BIN station --listen 127.0.0.1:$PORT > "$OUT/station.log" &
STATION_PID=$!
for _ in $(seq 1 100); do grep -q "listening" "$OUT/station.log" && break; sleep 0.05; done
NOTICE=$(grep -E '^  payable ' "$OUT/station.log" | awk '{print $2}')
cat > "$OUT/verify.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/xml; charset=utf-8"
wrk.headers["SOAPAction"] = "\"paVerifyPaymentNotice\""
wrk.body = [[<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:pafn="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"><soapenv:Body><pafn:paVerifyPaymentNoticeReq><idPA>77777777777</idPA><idBrokerPA>77777777777</idBrokerPA><idStation>77777777777_01</idStation><qrCode><fiscalCode>77777777777</fiscalCode><noticeNumber>$NOTICE</noticeNumber></qrCode></pafn:paVerifyPaymentNoticeReq></soapenv:Body></soapenv:Envelope>]]
LUA
wrk -t1 -c16 -d10s -s "$OUT/verify.lua" "http://127.0.0.1:$PORT/pagopa/station"
