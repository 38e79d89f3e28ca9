// Runs gitops/argocd/health.lua the way Argo CD (v3.6, util/lua/lua.go) runs resource health
// checks: in gopher-lua (Lua 5.1) at the version Argo CD pins, with only the package, base and
// table libraries open (no string, math or io: Argo CD's default), a one-second deadline, the
// object as the global `obj` (maps as tables, lists as arrays, numbers as Lua numbers), and
// a table {status, message} back whose status must be one Argo CD knows.
//
// The status objects are built by fromSummary, which mirrors operator/src/conditions.rs
// (Summary -> Ready/Reconciling/Stalled) field for field, plus each kind's domain condition
// and status fields as the operator writes them; testdata/*.json holds whole objects, most
// of them recorded from the real operator (TestHealthOfRecordedObjects). argocd-cm.yaml must be health.lua under each kind's key:
// `go test -update` rewrites it.
package healthtest

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

var update = flag.Bool("update", false, "rewrite ../argocd-cm.yaml from ../health.lua")

var kinds = []string{"DatasetGroup", "Predictor", "Solution", "Campaign"}

func script(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../health.lua")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// toLua converts decoded JSON as Argo CD's VM does (util/lua/lua.go: decodeValue).
func toLua(L *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case map[string]any:
		t := L.CreateTable(0, len(v))
		for k, e := range v {
			t.RawSetH(lua.LString(k), toLua(L, e))
		}
		return t
	case []any:
		t := L.CreateTable(len(v), 0)
		for _, e := range v {
			t.Append(toLua(L, e))
		}
		return t
	case string:
		return lua.LString(v)
	case float64:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case bool:
		return lua.LBool(v)
	case nil:
		return lua.LNil
	}
	panic(fmt.Sprintf("unexpected %T", v))
}

type health struct{ Status, Message string }

// runHealth evaluates the script on obj as Argo CD does for a health check.
func runHealth(t *testing.T, src string, obj map[string]any) health {
	t.Helper()
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer L.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
	} {
		if err := L.CallByParam(lua.P{Fn: L.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	L.SetContext(ctx)
	// Through JSON, as Argo CD hands the script an unstructured object.
	raw, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	var decoded map[string]any
	if err := json.Unmarshal(raw, &decoded); err != nil {
		t.Fatal(err)
	}
	L.SetGlobal("obj", toLua(L, decoded))
	fn, err := L.LoadString(src)
	if err != nil {
		t.Fatalf("health.lua does not compile: %v", err)
	}
	L.Push(fn)
	if err := L.PCall(0, lua.MultRet, nil); err != nil {
		t.Fatalf("health.lua failed: %v", err)
	}
	ret, ok := L.Get(-1).(*lua.LTable)
	if !ok {
		t.Fatalf("health.lua returned %s, not a table", L.Get(-1).Type())
	}
	h := health{Status: lua.LVAsString(ret.RawGetString("status")), Message: lua.LVAsString(ret.RawGetString("message"))}
	switch h.Status {
	case "Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown":
	default:
		t.Fatalf("health.lua returned status %q, which Argo CD does not know", h.Status)
	}
	return h
}

// summary mirrors operator/src/conditions.rs::Summary.
type summary struct {
	state   string // "Ready", "Progressing" or "Stalled"
	reason  string
	message string
	ready   bool // Progressing only: Ready stays True (a retrain, a rollout, a transient error)
}

// fromSummary mirrors conditions.rs::from_summary followed by merge: Ready, Reconciling and
// Stalled, a False kstatus condition with reason AsExpected and no message, every condition
// with the generation it was computed from, in the order Ready, Reconciling, Stalled, domain.
func fromSummary(s summary, generation int64, domain map[string]any) []any {
	b := func(v bool) string {
		if v {
			return "True"
		}
		return "False"
	}
	var ready, reconciling, stalled bool
	switch s.state {
	case "Ready":
		ready = true
	case "Progressing":
		ready, reconciling = s.ready, true
	case "Stalled":
		stalled = true
	default:
		panic(s.state)
	}
	cond := func(typ string, status bool, asItself bool) map[string]any {
		reason, message := "AsExpected", ""
		if status || asItself {
			reason, message = s.reason, s.message
		}
		return map[string]any{
			"type": typ, "status": b(status), "reason": reason, "message": message,
			"lastTransitionTime": "2026-11-29T10:00:00Z", "observedGeneration": generation,
		}
	}
	out := []any{cond("Ready", ready, true), cond("Reconciling", reconciling, false), cond("Stalled", stalled, false)}
	if domain != nil {
		domain["lastTransitionTime"] = "2026-11-29T10:00:00Z"
		domain["observedGeneration"] = generation
		out = append(out, domain)
	}
	return out
}

func domainCond(typ, status, reason, message string) map[string]any {
	return map[string]any{"type": typ, "status": status, "reason": reason, "message": message}
}

// object is a resource of kind with the given generation and (unless conditions is nil) a
// status as the operator writes it for that kind, observed at observed.
func object(kind string, generation, observed int64, conditions []any, extra map[string]any) map[string]any {
	o := map[string]any{
		"apiVersion": "seer.dev/v1alpha1",
		"kind":       kind,
		"metadata": map[string]any{
			"name": "demo", "namespace": "shop", "generation": generation, "uid": "6f1e0b1e-0000-4000-8000-000000000001",
			"creationTimestamp": "2026-11-29T09:00:00Z", "finalizers": []any{"seer.dev/artifacts"},
		},
		"spec": map[string]any{},
	}
	if conditions != nil {
		st := map[string]any{"observedGeneration": observed, "conditions": conditions}
		for k, v := range extra {
			st[k] = v
		}
		o["status"] = st
	}
	return o
}

type healthCase struct {
	name        string
	obj         map[string]any
	wantStatus  string
	wantMessage []string // substrings
}

// cases: for each kind, the states the operator writes, and what Argo CD must show.
func cases() []healthCase {
	var out []healthCase
	add := func(kind, name string, obj map[string]any, status string, msg ...string) {
		out = append(out, healthCase{kind + "/" + name, obj, status, msg})
	}
	versions := func(latest string, phases ...string) map[string]any {
		var vs []any
		for i, p := range phases {
			vs = append(vs, map[string]any{"name": fmt.Sprintf("v%d", i+1), "phase": p, "trigger": "Created"})
		}
		st := map[string]any{"versions": vs}
		if latest != "" {
			st["latestVersion"] = latest
			st["latestMetrics"] = map[string]any{"WAPE": 0.21}
		}
		return st
	}
	for _, kind := range kinds {
		// Just created: the operator has not written status yet.
		add(kind, "no status yet", object(kind, 1, 0, nil, nil), "Progressing", "Waiting for the Seer operator")
		// Status of an older generation: a spec change not yet observed, whatever it said.
		var readyNow summary
		var extraReady, extraBusy, extraRetrain map[string]any
		var busy, retrain, stalled summary
		var domReady, domBusy, domRetrain, domStalled map[string]any
		switch kind {
		case "DatasetGroup":
			readyNow = summary{"Ready", "Validated", "3 datasets, 48210 rows", false}
			busy = summary{"Progressing", "Validating", "validation Job demo-validate-g2 is running", false}
			// A transient error keeps Ready as it was (error.rs) and shows Reconciling.
			retrain = summary{"Progressing", "StorageUnavailable", "cannot list s3://data/shop/: connection refused", true}
			stalled = summary{"Stalled", "InvalidData", "s3://data/shop/target.csv line 17, column demand: expected a number, got \"n/a\"", false}
			extraReady = map[string]any{"totalRows": 48210, "digest": "sha256:1f2e", "datasets": []any{map[string]any{"name": "target", "rows": 48210}}}
			extraBusy, extraRetrain = map[string]any{}, extraReady
			domReady = domainCond("DataValid", "True", "Valid", "3 datasets, 48210 rows")
			domBusy = domainCond("DataValid", "Unknown", "Validating", "validation Job demo-validate-g2 is running")
			domRetrain = domainCond("DataValid", "True", "Valid", "3 datasets, 48210 rows")
			domStalled = domainCond("DataValid", "False", "InvalidData", stalled.message)
		case "Predictor", "Solution":
			readyNow = summary{"Ready", "Trained", "version v1 is trained", false}
			busy = summary{"Progressing", "Training", "version v1 is training (Job demo-" + strings.ToLower(kind) + "-v1)", false}
			// A scheduled retrain never flips Ready (training/decide.rs).
			retrain = summary{"Progressing", "Training", "version v2 is training (trigger Schedule)", true}
			stalled = summary{"Stalled", "OOMKilled", "version v1 failed: the trainer was killed for memory (limit 2Gi)", false}
			extraReady, extraBusy, extraRetrain = versions("v1", "Succeeded"), versions("", "Training"), versions("v1", "Succeeded", "Training")
			domReady = domainCond("Training", "False", "Trained", "version v1 is trained")
			domBusy = domainCond("Training", "True", "Training", busy.message)
			domRetrain = domainCond("Training", "True", "Training", retrain.message)
			domStalled = domainCond("Training", "False", "OOMKilled", stalled.message)
		case "Campaign":
			readyNow = summary{"Ready", "Serving", "version v1 serves on 2 replicas", false}
			busy = summary{"Progressing", "WaitingForModel", "Predictor demo has no trained version yet", false}
			// A rollout to a new version keeps Ready while the old one serves.
			retrain = summary{"Progressing", "RollingOut", "rolling out v2 (1 of 2 replicas updated)", true}
			stalled = summary{"Stalled", "VersionNotFound", "pinned version v7 does not exist on Predictor demo", false}
			serving := map[string]any{"servingVersion": "v1", "url": "http://demo.shop.svc:8080", "replicas": 2, "readyReplicas": 2}
			extraReady, extraBusy, extraRetrain = serving, map[string]any{}, serving
			domReady = domainCond("Serving", "True", "Serving", readyNow.message)
			domBusy = domainCond("Serving", "False", "WaitingForModel", busy.message)
			domRetrain = domainCond("Serving", "True", "RollingOut", retrain.message)
			domStalled = domainCond("Serving", "False", "VersionNotFound", stalled.message)
		}
		add(kind, "ready", object(kind, 1, 1, fromSummary(readyNow, 1, domReady), extraReady), "Healthy", readyNow.message)
		add(kind, "working toward the spec", object(kind, 2, 2, fromSummary(busy, 2, domBusy), extraBusy), "Progressing", busy.reason, busy.message)
		add(kind, "ready while reconciling", object(kind, 1, 1, fromSummary(retrain, 1, domRetrain), extraRetrain), "Progressing", "Ready", retrain.reason, retrain.message)
		add(kind, "stalled", object(kind, 2, 2, fromSummary(stalled, 2, domStalled), extraBusy), "Degraded", stalled.reason, stalled.message)
		// The status still describes generation 1 (Ready) but the spec is at 2.
		add(kind, "spec change not yet observed", object(kind, 2, 1, fromSummary(readyNow, 1, domReady), extraReady), "Progressing", "generation 2")
		// Conditions the operator never writes together (another writer, an older operator):
		// neither kstatus condition True and Ready not True is still work in progress.
		onlyDomain := object(kind, 1, 1, []any{map[string]any{"type": "Custom", "status": "True", "reason": "X", "message": ""}}, nil)
		add(kind, "no Ready condition", onlyDomain, "Progressing", "Waiting for the Ready condition")
		readyFalse := object(kind, 1, 1, []any{map[string]any{"type": "Ready", "status": "False", "reason": "Pending", "message": "not yet"}}, nil)
		add(kind, "Ready False alone", readyFalse, "Progressing", "Pending: not yet")
		// Stalled on a generation the operator has not seen yet: the new spec may fix it.
		add(kind, "stalled on an old generation", object(kind, 3, 2, fromSummary(stalled, 2, domStalled), extraBusy), "Progressing", "generation 3")
	}
	return out
}

func TestHealthOfEveryKindInEveryState(t *testing.T) {
	src := script(t)
	seen := map[string]map[string]bool{}
	for _, c := range cases() {
		t.Run(c.name, func(t *testing.T) {
			h := runHealth(t, src, c.obj)
			if h.Status != c.wantStatus {
				t.Fatalf("status %q (message %q), want %q", h.Status, h.Message, c.wantStatus)
			}
			for _, m := range c.wantMessage {
				if !strings.Contains(h.Message, m) {
					t.Errorf("message %q does not contain %q", h.Message, m)
				}
			}
		})
		kind := c.obj["kind"].(string)
		if seen[kind] == nil {
			seen[kind] = map[string]bool{}
		}
		seen[kind][c.wantStatus] = true
	}
	for _, kind := range kinds {
		for _, s := range []string{"Healthy", "Progressing", "Degraded"} {
			if !seen[kind][s] {
				t.Errorf("no case of %s is %s", kind, s)
			}
		}
	}
}

// Whole objects, each with the health Argo CD must show: {"expect": {"status", "message"},
// "object": <kubectl get -o json>}. real-*.json were recorded from the real operator on a
// real API server by tests/chart/capture-health-fixtures.sh (the states a control plane
// without a node reaches); written-*.json are written in the same shape for the states that
// need Jobs to run (Ready, a scheduled retrain, a pinned version that is gone).
func TestHealthOfRecordedObjects(t *testing.T) {
	src := script(t)
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/*.json")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Expect health
				Object map[string]any
			}
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			h := runHealth(t, src, doc.Object)
			if h != doc.Expect {
				t.Fatalf("got %+v, want %+v", h, doc.Expect)
			}
		})
	}
}

// argocd-cm.yaml: health.lua under resource.customizations.health.seer.dev_<Kind>.
func configMap(src string) string {
	var b strings.Builder
	b.WriteString(`# Argo CD health checks for Seer's four kinds: gitops/argocd/health.lua under each kind's key.
# Merge into the argocd-cm ConfigMap, e.g.
#   kubectl -n argocd patch configmap argocd-cm --patch-file gitops/argocd/argocd-cm.yaml
# (or put the same keys under configs.cm of the argo-cd Helm chart). Generated: edit
# health.lua, then run "go test ./... -update" in gitops/argocd/healthtest.
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  namespace: argocd
  labels:
    app.kubernetes.io/name: argocd-cm
    app.kubernetes.io/part-of: argocd
data:
`)
	sorted := append([]string(nil), kinds...)
	sort.Strings(sorted)
	for _, kind := range sorted {
		fmt.Fprintf(&b, "  resource.customizations.health.seer.dev_%s: |\n", kind)
		for _, line := range strings.Split(strings.TrimRight(src, "\n"), "\n") {
			if line == "" {
				b.WriteString("\n")
			} else {
				b.WriteString("    " + line + "\n")
			}
		}
	}
	return b.String()
}

func TestArgoCDConfigMapCarriesTheScript(t *testing.T) {
	want := configMap(script(t))
	if *update {
		if err := os.WriteFile("../argocd-cm.yaml", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("../argocd-cm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatal("gitops/argocd/argocd-cm.yaml differs from health.lua: run `go test ./... -update` in gitops/argocd/healthtest")
	}
}
