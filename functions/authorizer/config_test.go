package main

import (
	"strings"
	"testing"

	"github.com/mtls-api/mtls-api/shared/env"
)

func TestLoadConfig(t *testing.T) {
	const issuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
	tests := []struct {
		name     string
		vars     map[string]string
		wantJWKS string
		wantErr  string
	}{
		{"default key set", map[string]string{env.TableName: "t", env.Issuer: issuer, env.ClientID: "c"}, issuer + "/.well-known/jwks.json", ""},
		{"issuer with slash", map[string]string{env.TableName: "t", env.Issuer: issuer + "/", env.ClientID: "c"}, issuer + "/.well-known/jwks.json", ""},
		{"explicit key set", map[string]string{env.TableName: "t", env.Issuer: issuer, env.ClientID: "c", env.JWKSURL: "http://127.0.0.1:9000/keys"}, "http://127.0.0.1:9000/keys", ""},
		{"no issuer", map[string]string{env.TableName: "t", env.ClientID: "c"}, "", env.Issuer},
		{"no client", map[string]string{env.TableName: "t", env.Issuer: issuer}, "", env.ClientID},
		{"no table", map[string]string{env.Issuer: issuer, env.ClientID: "c"}, "", env.TableName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadConfig(func(name string) string { return tt.vars[name] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("loadConfig() error = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("loadConfig() error = %v", err)
			}
			if c.jwksURL != tt.wantJWKS {
				t.Errorf("loadConfig() jwksURL = %q, want %q", c.jwksURL, tt.wantJWKS)
			}
		})
	}
}
