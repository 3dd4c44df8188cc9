#!/usr/bin/env bash
# The reference station against a static nginx under the same wrk load, in one run (issue 9,
# "Performance"): the paVerifyPaymentNotice of the `payable` fixture, POSTed by `wrk -t1 -c16`
# on loopback. nginx answers `return 200` with the station's own answer bytes from one worker
# process; the station runs with its default limits (header-read and idle timeouts, connection
# cap). Rounds alternate so both see the same machine. Needs: wrk, nginx (Debian packages
# `wrk`, `nginx-light`) and a release build. BIN=path/to/collaudo measures that binary instead
# of building this tree's (to set an older build beside the current one on the same machine).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked -p collaudo --bin collaudo
  BIN=target/release/collaudo
fi
OUT=$(mktemp -d)
STATION_PID=""
cleanup() {
  [ -n "$STATION_PID" ] && kill "$STATION_PID" 2>/dev/null || true
  [ -f "$OUT/nginx.pid" ] && kill "$(cat "$OUT/nginx.pid")" 2>/dev/null || true
  rm -rf "$OUT"
}
trap cleanup EXIT

SPORT=18081
NPORT=18082
$BIN station --listen 127.0.0.1:$SPORT > "$OUT/station.log" &
STATION_PID=$!
for _ in $(seq 1 200); do grep -q "listening" "$OUT/station.log" 2>/dev/null && break; sleep 0.05; done
NOTICE=$(grep -E '^  payable ' "$OUT/station.log" | awk '{print $2}')
BODY="<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:pafn=\"http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd\"><soapenv:Body><pafn:paVerifyPaymentNoticeReq><idPA>77777777777</idPA><idBrokerPA>77777777777</idBrokerPA><idStation>77777777777_01</idStation><qrCode><fiscalCode>77777777777</fiscalCode><noticeNumber>$NOTICE</noticeNumber></qrCode></pafn:paVerifyPaymentNoticeReq></soapenv:Body></soapenv:Envelope>"
cat > "$OUT/verify.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/xml; charset=utf-8"
wrk.headers["SOAPAction"] = "\"paVerifyPaymentNotice\""
wrk.body = [[$BODY]]
LUA
# The station's answer, served as is by nginx.
curl -s -X POST -H 'Content-Type: text/xml' -H 'SOAPAction: "paVerifyPaymentNotice"' \
  --data-binary "$BODY" "http://127.0.0.1:$SPORT/pagopa/station" > "$OUT/answer.xml"
grep -q '<outcome>OK</outcome>' "$OUT/answer.xml"
ANSWER=$(sed "s/'/\\\\'/g" "$OUT/answer.xml" | tr -d '\n')
cat > "$OUT/nginx.conf" <<NGINX
worker_processes 1;
pid $OUT/nginx.pid;
error_log $OUT/nginx.err warn;
daemon on;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $OUT;
  server {
    listen 127.0.0.1:$NPORT;
    location / { default_type text/xml; return 200 '$ANSWER'; }
  }
}
NGINX
nginx -c "$OUT/nginx.conf" -p "$OUT"
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$NPORT/" && break; sleep 0.05; done

rps() { grep 'Requests/sec' | awk '{print $2}'; }
echo "round station_rps nginx_rps ratio loadavg"
for r in $(seq 1 "$ROUNDS"); do
  S=$(wrk -t1 -c16 -d"$DURATION" -s "$OUT/verify.lua" "http://127.0.0.1:$SPORT/pagopa/station" | rps)
  N=$(wrk -t1 -c16 -d"$DURATION" -s "$OUT/verify.lua" "http://127.0.0.1:$NPORT/pagopa/station" | rps)
  echo "$r $S $N $(echo "scale=2; $S / $N" | bc) $(cut -d' ' -f1 /proc/loadavg)"
done
