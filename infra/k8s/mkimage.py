#!/usr/bin/env python3
"""mkimage.py ROOTFS_DIR REF OUT.tar [--entrypoint JSON] [--cmd JSON]
Writes a single-layer docker-archive (the `docker save` format) that
`ctr images import` and `docker load` accept, without a daemon."""
import argparse
import hashlib
import io
import json
import os
import tarfile

ap = argparse.ArgumentParser()
ap.add_argument("rootfs")
ap.add_argument("ref")
ap.add_argument("out")
ap.add_argument("--entrypoint", default=None)
ap.add_argument("--cmd", default=None)
a = ap.parse_args()


def owned_by_root(ti):
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = ""
    ti.mtime = 0
    return ti


buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
    for name in sorted(os.listdir(a.rootfs)):
        t.add(os.path.join(a.rootfs, name), arcname=name, filter=owned_by_root)
layer = buf.getvalue()
lsha = hashlib.sha256(layer).hexdigest()
cfg = {
    "architecture": "amd64",
    "os": "linux",
    "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + lsha]},
    "history": [{"created_by": "infra/k8s/mkimage.py"}],
}
if a.entrypoint:
    cfg["config"]["Entrypoint"] = json.loads(a.entrypoint)
if a.cmd:
    cfg["config"]["Cmd"] = json.loads(a.cmd)
cb = json.dumps(cfg).encode()
csha = hashlib.sha256(cb).hexdigest()
man = json.dumps([{"Config": csha + ".json", "RepoTags": [a.ref], "Layers": [lsha + "/layer.tar"]}]).encode()


def add(t, n, b):
    ti = tarfile.TarInfo(n)
    ti.size = len(b)
    t.addfile(ti, io.BytesIO(b))


with tarfile.open(a.out, "w") as t:
    add(t, csha + ".json", cb)
    add(t, lsha + "/layer.tar", layer)
    add(t, "manifest.json", man)
print(a.out, a.ref, "config sha256:" + csha)
