package config_test

import (
	"strings"
	"testing"

	"github.com/mtls-api/mtls-api/infra/config"
)

func FuzzLoad(f *testing.F) {
	f.Add("eu-west-1", "api.dev.example.com", "Z0123456789ABCDEFGHIJ", "", "14", "0", "false")
	f.Add("us-gov-west-1", "API.Example.COM", "", "arn:aws:acm:us-gov-west-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0", "3653", "3600", "1")
	f.Add("", "", "", "", "", "", "")
	f.Add("eu-west-1", "a.b", "Z1", "x", "-1", "99999999999999999999", "maybe")

	f.Fuzz(func(t *testing.T, region, domain, zone, certificate, retention, ttl, protect string) {
		in := map[string]string{
			config.KeyRegion:         region,
			config.KeyDomainName:     domain,
			config.KeyHostedZoneID:   zone,
			config.KeyCertificateARN: certificate,
			config.KeyTruststorePath: "pki/dev/truststore.pem",
			config.KeyLogRetention:   retention,
			config.KeyAuthorizerTTL:  ttl,
			config.KeyProtect:        protect,
		}
		c, err := config.Load(getter(in))
		if err != nil {
			if !strings.Contains(err.Error(), "pulumi config set") {
				t.Errorf("Load() error = %q, want it to say how to set a key", err)
			}
			return
		}

		if (c.HostedZoneID == "") == (c.CertificateARN == "") {
			t.Errorf("Load() = %+v, want exactly one of the hosted zone and the certificate", c)
		}
		if c.AuthorizerTTLSeconds < 0 || c.AuthorizerTTLSeconds > config.MaxAuthorizerTTLSeconds {
			t.Errorf("Load().AuthorizerTTLSeconds = %d, want 0 to %d", c.AuthorizerTTLSeconds, config.MaxAuthorizerTTLSeconds)
		}
		if c.LogRetentionDays <= 0 {
			t.Errorf("Load().LogRetentionDays = %d, want a positive period", c.LogRetentionDays)
		}
		prefix := c.CognitoDomainPrefix()
		if len(prefix) == 0 || len(prefix) > 63 || strings.HasSuffix(prefix, "-") || strings.ContainsAny(prefix, ". ") {
			t.Errorf("CognitoDomainPrefix() for %q = %q, want 1 to 63 letters, digits and inner hyphens", c.DomainName, prefix)
		}
		for _, word := range []string{"aws", "amazon", "cognito"} {
			if strings.Contains(prefix, word) {
				t.Errorf("CognitoDomainPrefix() = %q contains the reserved word %q", prefix, word)
			}
		}
	})
}
