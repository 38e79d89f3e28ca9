#!/usr/bin/env bash
# Puts the example data into a bucket (or a folder), under forecast/ and recommendations/.
#
#   examples/upload.sh s3://BUCKET[/PREFIX]   # S3-compatible server, via curl's SigV4 signing
#   examples/upload.sh file:///PATH           # a local folder
#
# For s3:// it reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION (default us-east-1)
# and AWS_ENDPOINT_URL (default https://s3.<region>.amazonaws.com); it uses path-style
# addressing, which every S3-compatible server accepts. The bucket is created if missing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="${1:-}"
if [[ -z "$dest" ]]; then
  echo "usage: $0 s3://BUCKET[/PREFIX] | file:///PATH" >&2
  exit 2
fi
files=(forecast/target_time_series.csv forecast/related_time_series.csv forecast/item_metadata.csv
       recommendations/interactions.csv recommendations/items.csv recommendations/users.csv)

case "$dest" in
  file://*)
    root="${dest#file://}"
    for f in "${files[@]}"; do
      mkdir -p "$root/$(dirname "$f")"
      # write beside, then rename: a reader never sees half a file
      cp "$here/$f" "$root/$f.tmp.$$" && mv "$root/$f.tmp.$$" "$root/$f"
      echo "put $dest/$f"
    done
    ;;
  s3://*)
    : "${AWS_ACCESS_KEY_ID:?set AWS_ACCESS_KEY_ID}" "${AWS_SECRET_ACCESS_KEY:?set AWS_SECRET_ACCESS_KEY}"
    region="${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}"
    endpoint="${AWS_ENDPOINT_URL_S3:-${AWS_ENDPOINT_URL:-https://s3.$region.amazonaws.com}}"
    endpoint="${endpoint%/}"
    rest="${dest#s3://}"
    bucket="${rest%%/*}"
    prefix=""
    [[ "$rest" == */* ]] && prefix="${rest#*/}" && prefix="${prefix%/}/"
    [[ "$prefix" == "/" ]] && prefix=""
    sign=(--aws-sigv4 "aws:amz:$region:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"
          -H "x-amz-content-sha256: UNSIGNED-PAYLOAD")
    [[ -n "${AWS_SESSION_TOKEN:-}" ]] && sign+=(-H "x-amz-security-token: $AWS_SESSION_TOKEN")
    status=$(curl -sS -o /dev/null -w '%{http_code}' "${sign[@]}" -I "$endpoint/$bucket")
    if [[ "$status" == 404 ]]; then
      curl -sSf "${sign[@]}" -X PUT "$endpoint/$bucket" -o /dev/null
      echo "created bucket $bucket"
    elif [[ "$status" != 200 ]]; then
      echo "upload.sh: HEAD $endpoint/$bucket answered HTTP $status (check the endpoint and credentials)" >&2
      exit 1
    fi
    for f in "${files[@]}"; do
      curl -sSf "${sign[@]}" -H "Content-Type: text/csv" --upload-file "$here/$f" \
        "$endpoint/$bucket/$prefix$f" -o /dev/null
      echo "put s3://$bucket/$prefix$f"
    done
    ;;
  *)
    echo "upload.sh: destination must start with s3:// or file:// (got '$dest')" >&2
    exit 2
    ;;
esac
