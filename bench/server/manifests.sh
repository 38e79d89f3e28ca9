#!/usr/bin/env bash
# Writes the DatasetGroup + Predictor/Solution manifests bench/server trains, pointing at the
# shared data sets by file:// URI (nothing is copied). Usage: manifests.sh <data-root> <out-dir>
set -euo pipefail
DATA=$(cd "$1" && pwd)
OUT=$2
mkdir -p "$OUT"

# complete_journey: the grocery chain's purchases (68k items, 2.5k users), the default recipe.
cat > "$OUT/complete_journey.yaml" <<YAML
apiVersion: seer.dev/v1alpha1
kind: DatasetGroup
metadata: { name: complete-journey }
spec:
  domain: ECOMMERCE
  datasets:
    - type: INTERACTIONS
      uri: file://$DATA/recs/complete_journey/interactions.csv.gz
      timestampFormat: epoch
      schema:
        attributes:
          - { name: USER_ID, type: string }
          - { name: ITEM_ID, type: string }
          - { name: TIMESTAMP, type: integer }
          - { name: EVENT_TYPE, type: string }
          - { name: EVENT_VALUE, type: float }
---
apiVersion: seer.dev/v1alpha1
kind: Solution
metadata: { name: complete-journey }
spec:
  datasetGroupRef: { name: complete-journey }
  recipe: USER_PERSONALIZATION
YAML

# Forecast sets: the export is what the server answers, so a quick algorithm will do.
forecast() { # name frequency timestamp-format algorithm horizon
  cat > "$OUT/$1.yaml" <<YAML
apiVersion: seer.dev/v1alpha1
kind: DatasetGroup
metadata: { name: ${1//_/-} }
spec:
  domain: CUSTOM
  datasets:
    - type: TARGET_TIME_SERIES
      uri: file://$DATA/forecast/$1/target_time_series.csv.gz
      dataFrequency: $2
      timestampFormat: $3
      schema:
        attributes:
          - { name: item_id, type: string }
          - { name: timestamp, type: timestamp }
          - { name: target_value, type: float }
---
apiVersion: seer.dev/v1alpha1
kind: Predictor
metadata: { name: ${1//_/-} }
spec:
  datasetGroupRef: { name: ${1//_/-} }
  forecastHorizon: $5
  forecastFrequency: $2
  forecastTypes: ["0.1", "0.5", "0.9", "mean"]
  algorithm: $4
YAML
}
forecast m4_hourly H "yyyy-MM-dd HH:mm:ss" SEASONAL_NAIVE 48
forecast carparts M yyyy-MM-dd SEASONAL_NAIVE 6
