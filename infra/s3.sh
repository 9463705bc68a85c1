# S3 API: Ceph RGW from Debian's packages on a throw-away single-node cluster
# (one mon, one memstore OSD, one radosgw). Sourced by up.sh; defines
# s3_install and s3_start. The OSD keeps objects in memory, so every fresh
# start builds a new cluster: S3 data does not survive down.sh.

S3_PORT=$(port 7480)
CEPH_MON_V2_PORT=$(port 3300)
CEPH_MON_V1_PORT=$(port 6789)
S3_REGION=us-east-1
S3_ACCESS_KEY=ripplelocalaccess
S3_SECRET_KEY=ripplelocalsecretkey0123456789
S3_BUCKET=ripple-checkpoints
CEPH_DIR="$RUN_DIR/ceph"
CEPH_CONF="$CEPH_DIR/ceph.conf"
S3_LOG="$RUN_DIR/s3.log"

s3_install() {
  command -v radosgw >/dev/null && command -v ceph-osd >/dev/null && command -v ceph-mon >/dev/null &&
    command -v ceph >/dev/null && return 0
  apt_install radosgw ceph-mon ceph-osd ceph-common uuid-runtime
}

s3_write_config() {
  local fsid=$1
  cat >"$CEPH_CONF" <<EOF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$CEPH_MON_V2_PORT,v1:127.0.0.1:$CEPH_MON_V1_PORT]
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
# without these rgw cannot talk to the mon when auth is off
ms mon client mode = crc secure
ms client mode = crc secure
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
osd objectstore = memstore
memstore device bytes = 1073741824
run dir = $CEPH_DIR/run
admin socket = $CEPH_DIR/run/\$name.asok
log file = $CEPH_DIR/\$name.log
keyring = $CEPH_DIR/keyring
[mon.a]
mon data = $CEPH_DIR/mon.a
[osd.0]
osd data = $CEPH_DIR/osd.0
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$S3_PORT
rgw data = $CEPH_DIR/rgw.a
rgw dns name = 127.0.0.1
EOF
}

s3_ceph() { timeout 30 ceph -c "$CEPH_CONF" "$@"; }

s3_osd_up() { s3_ceph osd stat -f json | grep -q '"num_up_osds":1'; }

s3_rgw_answers() { curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/"; }

s3_start() {
  local pidfiles=("$RUN_DIR/ceph-mon.pid" "$RUN_DIR/ceph-osd.pid" "$RUN_DIR/rgw.pid") f all=1
  for f in "${pidfiles[@]}"; do pid_alive "$f" || all=0; done
  if ((all)); then
    log "s3: already running (rgw pid $(<"$RUN_DIR/rgw.pid"))"
  else
    # A partial cluster (one daemon died) cannot be resumed with a memstore OSD: rebuild.
    stop_pid rgw
    stop_pid ceph-osd
    stop_pid ceph-mon
    if port_open "$S3_PORT" || port_open "$CEPH_MON_V2_PORT" || port_open "$CEPH_MON_V1_PORT"; then
      fail s3 "$S3_LOG" "port $S3_PORT, $CEPH_MON_V2_PORT or $CEPH_MON_V1_PORT is taken by a process up.sh did not start"
    fi
    rm -rf "$CEPH_DIR"
    mkdir -p "$CEPH_DIR/run" "$CEPH_DIR/mon.a" "$CEPH_DIR/osd.0" "$CEPH_DIR/rgw.a"
    : >"$S3_LOG"
    local fsid osd_uuid
    fsid=$(uuidgen)
    osd_uuid=$(uuidgen)
    s3_write_config "$fsid"
    {
      ceph-authtool --create-keyring "$CEPH_DIR/keyring" --gen-key -n mon. --cap mon 'allow *'
      monmaptool --create --addv a "[v2:127.0.0.1:$CEPH_MON_V2_PORT,v1:127.0.0.1:$CEPH_MON_V1_PORT]" --fsid "$fsid" "$CEPH_DIR/monmap"
      ceph-mon -c "$CEPH_CONF" --mkfs -i a --monmap "$CEPH_DIR/monmap" --keyring "$CEPH_DIR/keyring"
    } >>"$S3_LOG" 2>&1 || fail s3 "$S3_LOG" "ceph-mon --mkfs failed"
    start_bg ceph-mon "$S3_LOG" ceph-mon -f -c "$CEPH_CONF" -i a
    wait_until s3 "$CEPH_DIR/mon.a.log" 30 "$RUN_DIR/ceph-mon.pid" s3_ceph mon stat
    {
      s3_ceph osd new "$osd_uuid" 0
      ceph-osd -c "$CEPH_CONF" -i 0 --mkfs --osd-uuid "$osd_uuid"
    } >>"$S3_LOG" 2>&1 || fail s3 "$S3_LOG" "ceph-osd --mkfs failed"
    start_bg ceph-osd "$S3_LOG" ceph-osd -f -c "$CEPH_CONF" -i 0
    wait_until s3 "$CEPH_DIR/osd.0.log" 60 "$RUN_DIR/ceph-osd.pid" s3_osd_up
    start_bg rgw "$S3_LOG" radosgw -f -c "$CEPH_CONF" -n client.rgw.a
  fi
  wait_until s3 "$CEPH_DIR/client.rgw.a.log" 90 "$RUN_DIR/rgw.pid" s3_rgw_answers
  if ! radosgw-admin -c "$CEPH_CONF" user info --uid ripple >/dev/null 2>&1; then
    radosgw-admin -c "$CEPH_CONF" user create --uid ripple --display-name 'Ripple local' \
      --access-key "$S3_ACCESS_KEY" --secret "$S3_SECRET_KEY" >>"$S3_LOG" 2>&1 ||
      fail s3 "$S3_LOG" "radosgw-admin user create failed"
  fi
  # Create the bucket through the S3 API itself, signed by curl (which does not
  # add the payload hash header RGW requires); 409 = exists already.
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:$S3_REGION:s3" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
    --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" -X PUT "http://127.0.0.1:$S3_PORT/$S3_BUCKET")
  [[ $code == 200 || $code == 409 ]] || fail s3 "$S3_LOG" "PUT bucket $S3_BUCKET answered HTTP $code"
  write_env s3 \
    "export S3_ENDPOINT=http://127.0.0.1:$S3_PORT" \
    "export S3_REGION=$S3_REGION" \
    "export S3_ACCESS_KEY_ID=$S3_ACCESS_KEY" \
    "export S3_SECRET_ACCESS_KEY=$S3_SECRET_KEY" \
    "export S3_BUCKET=$S3_BUCKET"
  SERVICE_PIDFILES=("${pidfiles[@]}")
}
