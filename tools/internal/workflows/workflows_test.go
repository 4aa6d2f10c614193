package workflows_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// workflowDir is the workflows folder, relative to this package.
const workflowDir = "../../../.github/workflows"

// workflow is the part of a workflow file the tests read.
type workflow struct {
	On          map[string]yaml.Node `yaml:"on"`
	Permissions yaml.Node            `yaml:"permissions"`
	Jobs        map[string]job       `yaml:"jobs"`
}

type job struct {
	If          string            `yaml:"if"`
	Needs       yaml.Node         `yaml:"needs"`
	Environment yaml.Node         `yaml:"environment"`
	Permissions map[string]string `yaml:"permissions"`
	Steps       []step            `yaml:"steps"`
}

type step struct {
	Name string            `yaml:"name"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]string `yaml:"with"`
	Env  map[string]string `yaml:"env"`
}

// readWorkflows parses every workflow file, keyed by file name.
func readWorkflows(t *testing.T) map[string]workflow {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(workflowDir, "*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no workflow files in %s", workflowDir)
	}
	workflows := map[string]workflow{}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var w workflow
		if err := yaml.Unmarshal(data, &w); err != nil {
			t.Fatalf("parse %s: %v", path, err)
		}
		workflows[filepath.Base(path)] = w
	}
	return workflows
}

func TestWorkflowsExist(t *testing.T) {
	workflows := readWorkflows(t)
	for _, name := range []string{"ci.yml", "preview.yml", "deploy.yml"} {
		if _, ok := workflows[name]; !ok {
			t.Errorf("%s is missing from %s", name, workflowDir)
		}
	}
}

// exactVersion matches an action reference pinned to a full version tag or a commit.
var exactVersion = regexp.MustCompile(`@(v\d+\.\d+\.\d+|[0-9a-f]{40})$`)

func TestActionsPinned(t *testing.T) {
	for name, w := range readWorkflows(t) {
		for jobName, j := range w.Jobs {
			for _, s := range j.Steps {
				if s.Uses == "" || strings.HasPrefix(s.Uses, "./") {
					continue
				}
				if !exactVersion.MatchString(s.Uses) {
					t.Errorf("%s job %s uses %q, want a full version such as @v4.2.2 or a commit", name, jobName, s.Uses)
				}
			}
		}
	}
}

func TestDefaultPermissionsRestricted(t *testing.T) {
	for name, w := range readWorkflows(t) {
		p := w.Permissions
		switch p.Kind {
		case 0:
			t.Errorf("%s has no top-level permissions, so its jobs get the repository's default token scopes; add permissions: {}", name)
		case yaml.ScalarNode:
			t.Errorf("%s permissions = %q, want {} or a map of read scopes", name, p.Value)
		case yaml.MappingNode:
			for i := 1; i < len(p.Content); i += 2 {
				if scope, level := p.Content[i-1].Value, p.Content[i].Value; level != "read" {
					t.Errorf("%s top-level permission %s = %s, want read; grant write to the job that needs it", name, scope, level)
				}
			}
		}
	}
}

func TestNoLongLivedAWSKeys(t *testing.T) {
	for name := range readWorkflows(t) {
		data, err := os.ReadFile(filepath.Join(workflowDir, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"aws-access-key-id", "aws-secret-access-key", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
			if strings.Contains(string(data), key) {
				t.Errorf("%s mentions %s; assume a role through OIDC instead", name, key)
			}
		}
	}
}

// TestOIDCOnlyForTrustedCode checks that a job that can get an AWS token runs only code of
// this repository: on main, or on a pull request whose branch is in this repository.
func TestOIDCOnlyForTrustedCode(t *testing.T) {
	for name, w := range readWorkflows(t) {
		for jobName, j := range w.Jobs {
			if j.Permissions["id-token"] != "write" {
				continue
			}
			_, onPullRequest := w.On["pull_request"]
			_, onPullRequestTarget := w.On["pull_request_target"]
			sameRepository := strings.Contains(j.If, "github.event.pull_request.head.repo.full_name == github.repository")
			if onPullRequestTarget && !strings.Contains(j.If, "github.event_name == 'pull_request'") {
				t.Errorf("%s job %s can get an OIDC token on pull_request_target; restrict it with if: github.event_name == 'pull_request'", name, jobName)
			}
			if onPullRequest && !sameRepository {
				t.Errorf("%s job %s can get an OIDC token for a pull request from a fork; require head.repo.full_name == github.repository", name, jobName)
			}
		}
	}
}

// TestPullRequestTargetRunsNoPullRequestCode checks the jobs that run with a write token on
// pull requests from forks. They check out the base branch only. Their shell steps read pull
// request values from environment variables, because an expression is pasted into the script.
func TestPullRequestTargetRunsNoPullRequestCode(t *testing.T) {
	for name, w := range readWorkflows(t) {
		if _, ok := w.On["pull_request_target"]; !ok {
			continue
		}
		for jobName, j := range w.Jobs {
			if strings.Contains(j.If, "github.event_name == 'pull_request'") && !strings.Contains(j.If, "pull_request_target") {
				continue
			}
			for _, s := range j.Steps {
				if strings.HasPrefix(s.Uses, "actions/checkout@") {
					if ref := s.With["ref"]; ref != "${{ github.event.pull_request.base.sha }}" {
						t.Errorf("%s job %s checks out ref %q on pull_request_target, want ${{ github.event.pull_request.base.sha }}", name, jobName, ref)
					}
					if s.With["persist-credentials"] != "false" {
						t.Errorf("%s job %s keeps the checkout token; set persist-credentials: false", name, jobName)
					}
				}
				if strings.Contains(s.Run, "${{") {
					t.Errorf("%s job %s step %q pastes an expression into a script; pass it through env", name, jobName, s.Name)
				}
				if strings.Contains(s.Run, "make") || strings.Contains(s.Run, "go ") || strings.Contains(s.Run, "npm") {
					t.Errorf("%s job %s step %q runs a build tool on pull_request_target, which could run pull request code", name, jobName, s.Name)
				}
			}
		}
	}
}

func TestDeployOnlyFromMain(t *testing.T) {
	w, ok := readWorkflows(t)["deploy.yml"]
	if !ok {
		t.Fatal("deploy.yml is missing")
	}
	for name := range w.On {
		if !slices.Contains([]string{"push", "workflow_dispatch"}, name) {
			t.Errorf("deploy.yml runs on %s, want push to main and workflow_dispatch only", name)
		}
	}
	for jobName, j := range w.Jobs {
		// workflow_dispatch lets anyone with write access pick any branch, so each job checks
		// the ref itself.
		if !strings.Contains(j.If, "github.ref == 'refs/heads/main'") {
			t.Errorf("deploy.yml job %s if = %q, want it to require github.ref == 'refs/heads/main'", jobName, j.If)
		}
		if j.Environment.Value == "" {
			t.Errorf("deploy.yml job %s has no environment, so no protection rule applies to it", jobName)
		}
	}

	prod, ok := w.Jobs["prod"]
	if !ok {
		t.Fatal("deploy.yml has no prod job")
	}
	if prod.Environment.Value != "prod" {
		t.Errorf("deploy.yml prod environment = %q, want prod, the environment that requires a review", prod.Environment.Value)
	}
	if prod.Needs.Value != "dev" {
		t.Errorf("deploy.yml prod needs = %q, want dev, so prod deploys only what dev took", prod.Needs.Value)
	}
}
