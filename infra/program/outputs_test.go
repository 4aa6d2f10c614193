package program_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mtls-api/mtls-api/infra/config"
	"github.com/mtls-api/mtls-api/infra/plan"
	"github.com/mtls-api/mtls-api/infra/program"
	"github.com/mtls-api/mtls-api/shared/catalog"
)

func TestStackOutputs(t *testing.T) {
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			cfg := stackConfig(t, stack)
			mocks, err := plan.Run(stack, cfg, options(), true)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			got := mocks.Outputs()

			region := cfg[config.KeyRegion]
			d := deployment{stack: stack, resources: mocks.Resources()}
			want := map[string]any{
				program.OutputAPIURL:        "https://" + cfg[config.KeyDomainName],
				program.OutputUserPoolID:    region + "_MockPool1",
				program.OutputClientID:      "mockclientid0123456789abcd",
				program.OutputTokenEndpoint: "https://" + str(t, d.one(t, "aws:cognito/userPoolDomain:UserPoolDomain").Inputs, "domain") + ".auth." + region + ".amazoncognito.com/oauth2/token",
				program.OutputTableName:     str(t, d.one(t, typeTable).Outputs, "name"),
			}
			for name, value := range want {
				if got[name] != value {
					t.Errorf("output %s = %v, want %v", name, got[name], value)
				}
			}
			if len(got) != len(want)+1 {
				t.Errorf("outputs = %v, want only %d: those above and %s", got, len(want)+1, program.OutputRepositoryURLs)
			}
			if text := fmt.Sprint(got); strings.Contains(text, plan.MockClientSecret) {
				t.Errorf("outputs = %s, want no client secret", text)
			}

			urls, ok := got[program.OutputRepositoryURLs].(map[string]string)
			if !ok {
				t.Fatalf("output %s = %#v, want a map", program.OutputRepositoryURLs, got[program.OutputRepositoryURLs])
			}
			for _, f := range catalog.All() {
				repo := d.named(t, "mtls-api-"+stack+"-"+f.Name+"-repository", typeRepository)
				if urls[f.Name] != str(t, repo.Outputs, "repositoryUrl") {
					t.Errorf("output %s[%s] = %v, want %s", program.OutputRepositoryURLs, f.Name, urls[f.Name], str(t, repo.Outputs, "repositoryUrl"))
				}
			}
			if len(urls) != len(catalog.All()) {
				t.Errorf("output %s = %v, want one URL per function", program.OutputRepositoryURLs, urls)
			}
		})
	}
}
