# shellcheck shell=bash
# PKI for the test cluster (sourced by up.sh). ECDSA P-256 keys, made with openssl in well
# under a second; regenerated whenever the cluster dir is new.

# cert NAME CN ORG SANS [CA]: key + cert signed by CA (default "ca"). SANS like "DNS:x,IP:1.2.3.4"
# or "" for a client certificate.
_cert() {
  local name=$1 cn=$2 org=$3 sans=$4 ca=${5:-ca} pki=$SEER_CLUSTER_DIR/pki
  local subj="/CN=$cn"; [[ -n "$org" ]] && subj="/O=$org$subj"
  local ext=$pki/$name.ext
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    if [[ -n "$sans" ]]; then
      echo "extendedKeyUsage=serverAuth,clientAuth"
      echo "subjectAltName=$sans"
    else
      echo "extendedKeyUsage=clientAuth"
    fi
  } > "$ext"
  openssl ecparam -name prime256v1 -genkey -noout -out "$pki/$name.key" 2>/dev/null
  openssl req -new -key "$pki/$name.key" -subj "$subj" -out "$pki/$name.csr" 2>/dev/null
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/$ca.crt" -CAkey "$pki/$ca.key" \
    -CAcreateserial -days 3650 -sha256 -extfile "$ext" -out "$pki/$name.crt" 2>/dev/null \
    || die "openssl could not sign $name"
  rm -f "$pki/$name.csr" "$ext"
}

_ca() {
  local name=$1 cn=$2 pki=$SEER_CLUSTER_DIR/pki
  openssl ecparam -name prime256v1 -genkey -noout -out "$pki/$name.key" 2>/dev/null
  openssl req -x509 -new -key "$pki/$name.key" -subj "/CN=$cn" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$pki/$name.crt" 2>/dev/null || die "openssl could not make CA $name"
}

make_pki() {
  local pki=$SEER_CLUSTER_DIR/pki
  [[ -f "$pki/.done" ]] && return 0
  command -v openssl >/dev/null || die "openssl is not installed"
  mkdir -p "$pki"; chmod 700 "$pki"
  _ca ca seer-cluster-ca
  _ca front-proxy-ca seer-front-proxy-ca
  _cert apiserver kube-apiserver "" \
    "DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$CLUSTER_DOMAIN,IP:127.0.0.1,IP:$KUBERNETES_SVC_IP,IP:$NODE_IP"
  _cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters ""
  _cert admin seer-admin system:masters ""
  _cert controller-manager system:kube-controller-manager "" ""
  _cert scheduler system:kube-scheduler "" ""
  _cert kubelet-client "system:node:$NODE_NAME" system:nodes ""
  _cert kubelet "$NODE_NAME" "" "DNS:$NODE_NAME,DNS:localhost,IP:127.0.0.1,IP:$NODE_IP"
  _cert kube-proxy system:kube-proxy "" ""
  _cert front-proxy-client front-proxy-client "" "" front-proxy-ca
  # Service-account token signing key.
  openssl ecparam -name prime256v1 -genkey -noout -out "$pki/sa.key" 2>/dev/null
  openssl ec -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  touch "$pki/.done"
}

# kubeconfig NAME CERT: writes $SEER_CLUSTER_DIR/NAME.kubeconfig (or the path given as $3).
make_kubeconfig() {
  local name=$1 cert=$2 out=${3:-$SEER_CLUSTER_DIR/$1.kubeconfig} pki=$SEER_CLUSTER_DIR/pki
  local server=${4:-https://127.0.0.1:$APISERVER_PORT}
  umask 077
  cat > "$out" <<KC
apiVersion: v1
kind: Config
clusters:
- name: seer
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 < "$pki/ca.crt")
users:
- name: $name
  user:
    client-certificate-data: $(base64 -w0 < "$pki/$cert.crt")
    client-key-data: $(base64 -w0 < "$pki/$cert.key")
contexts:
- name: seer
  context: {cluster: seer, user: $name}
current-context: seer
KC
  umask 022
}
