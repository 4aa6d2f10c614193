package main

import (
	"strings"
	"testing"

	"github.com/mtls-api/mtls-api/shared/env"
)

func TestLoadConfig(t *testing.T) {
	base := map[string]string{
		env.TableName: "certificates",
		env.TokenURL:  "https://example.auth.eu-west-1.amazoncognito.com/oauth2/token",
		env.ClientID:  "client",
	}
	tests := []struct {
		name       string
		vars       map[string]string
		wantARN    string
		wantSecret string
		wantErr    string
	}{
		{"secret ARN", map[string]string{env.ClientSecretARN: "arn:aws:secretsmanager:eu-west-1:1:secret:x"}, "arn:aws:secretsmanager:eu-west-1:1:secret:x", "", ""},
		{"plain secret", map[string]string{env.ClientSecret: "s3cr3t"}, "", "s3cr3t", ""},
		{"ARN wins over plain secret", map[string]string{env.ClientSecretARN: "arn", env.ClientSecret: "s3cr3t"}, "arn", "", ""},
		{"no secret", nil, "", "", env.ClientSecretARN},
		{"no table", map[string]string{env.TableName: " ", env.ClientSecret: "s"}, "", "", env.TableName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{}
			for k, v := range base {
				vars[k] = v
			}
			for k, v := range tt.vars {
				vars[k] = v
			}

			c, err := loadConfig(func(name string) string { return vars[name] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("loadConfig() error = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("loadConfig() error = %v", err)
			}
			if c.secretARN != tt.wantARN || c.secret != tt.wantSecret {
				t.Errorf("loadConfig() ARN, secret = %q, %q, want %q, %q", c.secretARN, c.secret, tt.wantARN, tt.wantSecret)
			}
		})
	}
}
