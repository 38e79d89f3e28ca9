// The chart's PromQL as Prometheus itself reads it: the rendered PrometheusRule's spec through
// rulefmt (what `promtool check rules` runs: YAML shape, every expr parsed, label names,
// annotation templates), and every query of dashboards/seer.json through the PromQL parser
// once Grafana's variables are put in. tests/chart/run.sh renders the rule and passes its path.
package promcheck

import (
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

func TestPrometheusRuleIsValidForPrometheus(t *testing.T) {
	path := os.Getenv("SEER_RENDERED_RULE")
	if path == "" {
		t.Fatal("SEER_RENDERED_RULE: the path of the rendered templates/prometheusrule.yaml (tests/chart/run.sh sets it)")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rule struct {
		Kind string         `yaml:"kind"`
		Spec map[string]any `yaml:"spec"`
	}
	if err := yaml.Unmarshal(raw, &rule); err != nil {
		t.Fatal(err)
	}
	if rule.Kind != "PrometheusRule" {
		t.Fatalf("%s holds a %q, not a PrometheusRule", path, rule.Kind)
	}
	spec, err := yaml.Marshal(rule.Spec)
	if err != nil {
		t.Fatal(err)
	}
	groups, errs := rulefmt.Parse(spec, false, model.UTF8Validation, parser.NewParser(parser.Options{}), slog.Default())
	for _, e := range errs {
		t.Error(e)
	}
	if len(errs) > 0 {
		t.FailNow()
	}
	n := 0
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			n++
			if r.Labels["severity"] == "" {
				t.Errorf("alert %s has no severity", r.Alert)
			}
		}
	}
	if n != 8 {
		t.Errorf("%d rules, want the 8 the chart's README lists", n)
	}
}

func TestDashboardQueriesParse(t *testing.T) {
	raw, err := os.ReadFile("../../../charts/seer/dashboards/seer.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatal(err)
	}
	// Grafana's substitutions: a range for $__rate_interval, a regex for multi-value variables.
	vars := strings.NewReplacer("$__rate_interval", "5m", "$operator_namespace", "seer-system", "$namespace", ".*", "$campaign", ".*")
	p := parser.NewParser(parser.Options{})
	n := 0
	for _, panel := range dash.Panels {
		for _, target := range panel.Targets {
			n++
			if _, err := p.ParseExpr(vars.Replace(target.Expr)); err != nil {
				t.Errorf("panel %q: %v\n  %s", panel.Title, err, target.Expr)
			}
		}
	}
	if n == 0 {
		t.Fatal("no queries in the dashboard")
	}
}
